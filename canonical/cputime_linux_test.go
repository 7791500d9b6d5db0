//go:build linux

package canonical

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system.
// The benchmarks divide by it as well as by wall time, since on a shared
// machine wall time counts the waits for a core.
func processCPU() time.Duration {
	var r syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &r) != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
