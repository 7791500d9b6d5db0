//go:build !unix

package duckstore_test

import "time"

// cpuTime is not measured here; the CPU-based metrics are left out.
func cpuTime() time.Duration { return 0 }
