// Package checkmode is what the checked mode of lockx and group shares: the
// switch, and the identity of the calling goroutine.
//
// Checked mode is on in builds with the race detector (the race build tag)
// or with -tags lockxcheck. Code that checks tests [On], a constant, so a
// normal build compiles the checks away.
package checkmode

import (
	"runtime"
	"sync"
)

var stackBufs = sync.Pool{New: func() any { return new([64]byte) }}

// GoID returns the calling goroutine's id, as the runtime prints it in
// stack traces. It reads the id from the first line of runtime.Stack, which
// costs about two microseconds: use it only when [On] is true.
func GoID() uint64 {
	// runtime.Stack's buffer escapes: pooled, a call allocates nothing.
	buf := stackBufs.Get().(*[64]byte)
	defer stackBufs.Put(buf)
	b := buf[:runtime.Stack(buf[:], false)]
	// "goroutine 123 [running]:..."; parsed by hand, since strconv would
	// need the digits as a string, which allocates.
	const prefix = "goroutine "
	if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
		panic("checkmode: unexpected runtime.Stack output: " + string(b))
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	if id == 0 {
		panic("checkmode: unexpected runtime.Stack output: " + string(b))
	}
	return id
}
