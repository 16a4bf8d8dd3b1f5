package leakprofile_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/leakprofile"
)

// labelled has the headers of goroutines with pprof labels, as the runtime
// prints them with GODEBUG=tracebacklabels=1: inside the brackets up to Go
// 1.26, after them from Go 1.27, where it is the default for a main module
// that says go 1.27. A label may hold "]:" and ", ".
const labelled = `goroutine 7 [chan receive] {job: "a]:b", k: v}:
main.f()
	/src/main.go:1 +0x1

goroutine 8 [chan send (leaked)] {job: x}:
main.f()
	/src/main.go:2 +0x1
created by main.main in goroutine 1
	/src/main.go:3 +0x1

goroutine 9 [select (leaked), 2 minutes, locked to thread] {"a, b": "c]:d"}:
main.f()
	/src/main.go:4 +0x1

goroutine 10 [chan receive labels:{"job": "a]:b", "k": "v"}]:
main.f()
	/src/main.go:5 +0x1

goroutine 11 [sync.Mutex.Lock (leaked) labels:{"k": "v"}]:
main.f()
	/src/main.go:6 +0x1
`

// TestParseLabels: a goroutine with labels is read like any other, in
// either release's form; a label cannot hide it or change its state.
func TestParseLabels(t *testing.T) {
	want := []string{
		"7 chan receive leaked=false creator=0",
		"8 chan send leaked=true creator=1",
		"9 select leaked=true creator=0",
		"10 chan receive leaked=false creator=0",
		"11 sync.Mutex.Lock leaked=true creator=0",
	}
	var got []string
	for _, g := range leakprofile.Parse([]byte(labelled)) {
		got = append(got, fmt.Sprintf("%d %s leaked=%v creator=%d", g.ID, g.State, g.Leaked, g.Creator))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Parse read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestStacksLabels reads this process with labels in its tracebacks: a
// goroutine started under pprof.Do must be there, blocked on a receive.
func TestStacksLabels(t *testing.T) {
	t.Setenv("GODEBUG", "tracebacklabels=1") // the runtime rereads it at once
	self := checkmode.GoID()
	release, blocked := make(chan int), make(chan uint64)
	defer close(release)
	pprof.Do(context.Background(), pprof.Labels("job", "a]:b, c"), func(context.Context) {
		go func() {
			blocked <- checkmode.GoID()
			<-release
		}()
	})
	id := <-blocked
	for range 5000 { // the goroutine blocks soon after the send: up to 5 s
		for _, g := range leakprofile.Stacks() {
			if g.ID == id && g.State == "chan receive" {
				if g.Creator != self {
					t.Errorf("goroutine %d's creator = %d, want %d", id, g.Creator, self)
				}
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("Stacks never showed labelled goroutine %d blocked on a receive; the runtime printed:\n%s", id, buf[:runtime.Stack(buf, true)])
}

// FuzzParse: whatever the dump, Parse returns and what it reads is
// well-formed: a state without what the runtime appends to it, a stack
// ending in a newline, and, written back as a header and stack, the same
// goroutine. The seeds are dumps of each form the runtime prints, and this
// process's own.
func FuzzParse(f *testing.F) {
	buf := make([]byte, 1<<20)
	for _, seed := range []string{dump, labelled, string(buf[:runtime.Stack(buf, true)]),
		"goroutine 1 []:\n", "goroutine 2 [a (scan) (durable)]:\n\tx\n", "goroutine 3 [b]:\n\n\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, dump []byte) {
		for _, g := range leakprofile.Parse(dump) {
			if strings.ContainsAny(g.State, "]\n") || strings.Contains(g.State, ", ") ||
				strings.Contains(g.State, " (scan)") {
				t.Errorf("goroutine %d's state %q holds what the runtime appends to it", g.ID, g.State)
			}
			if !strings.HasSuffix(g.Stack, "\n") {
				t.Errorf("goroutine %d's stack %q does not end in a newline", g.ID, g.Stack)
			}
			leaked := ""
			if g.Leaked {
				leaked = " (leaked)"
			}
			again := leakprofile.Parse(fmt.Appendf(nil, "goroutine %d [%s%s]:\n%s", g.ID, g.State, leaked, g.Stack))
			if len(again) != 1 || again[0] != g {
				t.Errorf("goroutine %+v, written back, reads as %+v", g, again)
			}
		}
	})
}

// BenchmarkStacks10k reads a process with 10,000 goroutines blocked, as
// each Check does at least twice.
func BenchmarkStacks10k(b *testing.B) {
	release := make(chan struct{})
	for range 10_000 {
		go func() { <-release }()
	}
	defer close(release)
	leakprofile.Stacks()
	for b.Loop() {
		leakprofile.Stacks()
	}
}
