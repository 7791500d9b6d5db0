//go:build unix

package authn_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) this process has used. On a
// shared machine it measures the cost of work where wall time measures
// the share of the processor the process got.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
