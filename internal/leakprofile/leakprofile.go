// Package leakprofile reads the runtime's goroutineleak profile. It is the
// half of the leak check that a program may link: package leaktest builds
// the test integration on it, and cmd/leakdemo, which must not link
// testing, reads the profile through it directly.
package leakprofile

import (
	"bytes"
	"fmt"
	"runtime/pprof"
)

// Available reports whether the runtime's goroutineleak profile exists in
// this binary: always on Go 1.27, and on Go 1.26 only when built with
// GOEXPERIMENT=goroutineleakprofile.
func Available() bool { return pprof.Lookup("goroutineleak") != nil }

// Read returns the text of the goroutineleak profile and the number of
// leaked goroutines it lists; both are empty when the profile is not
// available.
func Read() (report string, n int) {
	p := pprof.Lookup("goroutineleak") // nil unless the runtime has the profile
	if p == nil {
		return "", 0
	}
	// Writing the profile runs the leak-finding collection. Write twice:
	// a goroutine blocked on another leaked goroutine's channel is only
	// found unreachable by the second collection.
	var buf bytes.Buffer
	for range 2 {
		buf.Reset()
		if err := p.WriteTo(&buf, 1); err != nil {
			return fmt.Sprintf("goroutineleak profile: %v\n", err), 1
		}
	}
	report, n = buf.String(), p.Count() // n > 0: leaked goroutines, listed in report
	return report, n
}
