package canonical
import ("testing";"syscall";"time")
func cpuNow() time.Duration { var r syscall.Rusage; syscall.Getrusage(syscall.RUSAGE_THREAD, &r); return time.Duration(r.Utime.Nano()+r.Stime.Nano()) }
func TestZZCPU(t *testing.T){
	n := newOppNormalizer(t, nil); rec := benchOpportunity()
	for i:=0;i<20000;i++ { n.Normalize(rec) }
	c0 := cpuNow(); const N = 200000
	for i:=0;i<N;i++ { n.Normalize(rec) }
	d := cpuNow()-c0
	t.Logf("thread cpu per record: %v -> %.0f records/s", d/N, float64(N)/d.Seconds())
}
