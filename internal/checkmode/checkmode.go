// Package checkmode is what the checked mode of lockx and group shares: the
// switch, and the identity of the calling goroutine.
//
// Checked mode is on in builds with the race detector (the race build tag)
// or with -tags lockxcheck. Code that checks tests [On], a constant, so a
// normal build compiles the checks away.
package checkmode

import (
	"runtime"
	"strconv"
)

// GoID returns the calling goroutine's id, as the runtime prints it in
// stack traces. It reads the id from the first line of runtime.Stack, which
// costs about a microsecond: use it only when [On] is true.
func GoID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	// "goroutine 123 [running]:..."
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		panic("checkmode: unexpected runtime.Stack output: " + string(b))
	}
	b = b[len(prefix):]
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	id, err := strconv.ParseUint(string(b[:i]), 10, 64)
	if err != nil {
		panic("checkmode: unexpected runtime.Stack output: " + string(buf[:]))
	}
	return id
}
