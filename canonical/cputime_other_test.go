//go:build !linux

package canonical

import "time"

func processCPU() time.Duration { return 0 }
