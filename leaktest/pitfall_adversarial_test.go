package leaktest

import "testing"

// TestStdTrimpathModuleWithoutDot: under -trimpath, the code of a module
// whose path has no dot ("module myapp") is the user's, not the standard
// library's, and is the frame a report names.
func TestStdTrimpathModuleWithoutDot(t *testing.T) {
	defer func(g string, m func() []string) { goroot, modules = g, m }(goroot, modules)
	goroot, modules = "", func() []string { return []string{"myapp"} }
	for fn, want := range map[string]bool{
		"myapp.serve":                 false,
		"myapp/internal/cache.(*C).f": false,
		"myapp_test.TestServe":        false,
		"myapplication.f":             true, // a package myapplication would be std's
		"sync.(*Mutex).Lock":          true,
	} {
		if got := (frame{fn: fn, pos: "x.go:1"}).std(); got != want {
			t.Errorf("std(%s) under -trimpath in module myapp = %v, want %v", fn, got, want)
		}
	}
	stack := "sync.(*WaitGroup).Wait(0xc0)\n\tsync/waitgroup.go:118 +0x48\n" +
		"myapp/internal/cache.(*C).fill(0xc0)\n\tmyapp/internal/cache/cache.go:30 +0x10\n" +
		"created by myapp.main in goroutine 1\n\tmyapp/main.go:9 +0x20\n"
	if f := userFrame(frames(stack)); f.pos != "myapp/internal/cache/cache.go:30" {
		t.Errorf("userFrame = %s at %s, want the cache's fill", f.fn, f.pos)
	}
}
