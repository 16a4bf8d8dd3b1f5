//go:build unix

package fetch_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, user and system. On a
// machine shared with other work, CPU time per operation is a steadier
// measure than wall time, which counts the time spent waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
