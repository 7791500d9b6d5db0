//go:build unix

package duckstore_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system, all threads, DuckDB's
// included) the process has used: under load from other processes it
// moves much less than the wall clock, so the benchmarks report rates
// per CPU second beside their wall-clock rates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
