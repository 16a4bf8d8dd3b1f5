package leakprofile_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/leakprofile"
)

// dump has a header of each form the runtime prints.
const dump = `goroutine 1 [running]:
main.main()
	/src/main.go:10 +0x1d

goroutine 8 [chan receive (nil chan) (leaked)]:
main.main.func1()
	/src/main.go:20 +0x17
created by main.main in goroutine 1
	/src/main.go:20 +0xb6

goroutine 9 [chan send, 3 minutes]:
main.worker()
	/src/main.go:30 +0x17
created by main.main in goroutine 8
	/src/main.go:31 +0xb6

goroutine 10 [sync.Mutex.Lock (leaked) (scan)]:
main.lock()
	/src/main.go:40 +0x17

goroutine 11 gp=0xc000102000 m=nil [select, 2 minutes, locked to thread]:
main.poll()
	/src/main.go:50 +0x17

goroutine 12 [chan receive (durable), synctest bubble 3]:
main.bubble()
	/src/main.go:60 +0x17
created by testing/synctest.Test in goroutine 7
	/go/src/testing/synctest/synctest.go:1 +0x1

goroutine 13 [select labels:{"job": "a, b"}]:
main.labelled()
	/src/main.go:70 +0x17
created by main.main
	/src/main.go:71 +0x17
`

func TestParse(t *testing.T) {
	want := []string{
		"1 running leaked=false creator=0",
		"8 chan receive (nil chan) leaked=true creator=1",
		"9 chan send leaked=false creator=8",
		"10 sync.Mutex.Lock leaked=true creator=0",
		"11 select leaked=false creator=0",
		"12 chan receive (durable) leaked=false creator=7",
		"13 select leaked=false creator=0",
	}
	all := leakprofile.Parse([]byte(dump))
	var got []string
	for _, g := range all {
		got = append(got, fmt.Sprintf("%d %s leaked=%v creator=%d", g.ID, g.State, g.Leaked, g.Creator))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Parse read\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := all[1].Stack; s != "main.main.func1()\n\t/src/main.go:20 +0x17\ncreated by main.main in goroutine 1\n\t/src/main.go:20 +0xb6\n" {
		t.Errorf("goroutine 8's stack = %q", s)
	}
}

func TestParseSkipsWhatItCannotRead(t *testing.T) {
	for _, bad := range []string{"", "\n\n", "goroutine x [running]:\nf()\n", "goroutine 1 running:\n", "panic: boom\n"} {
		if all := leakprofile.Parse([]byte(bad)); len(all) != 0 {
			t.Errorf("Parse(%q) = %+v, want nothing", bad, all)
		}
	}
}

// TestStacks reads this process: a goroutine blocked on a channel, started
// by this one.
func TestStacks(t *testing.T) {
	self := checkmode.GoID()
	release, blocked := make(chan int), make(chan uint64)
	go func() {
		blocked <- checkmode.GoID()
		<-release
	}()
	id := <-blocked
	defer close(release)
	// No channel can say the goroutine has blocked: look until it has, for
	// up to five seconds.
	for range 5000 {
		time.Sleep(time.Millisecond)
		for _, g := range leakprofile.Stacks() {
			if g.ID == id && g.State == "chan receive" {
				if g.Creator != self || g.Leaked || !strings.Contains(g.Stack, "TestStacks.func1") {
					t.Errorf("Stacks read %+v, want created by %d, not leaked, in TestStacks.func1", g, self)
				}
				return
			}
		}
	}
	t.Fatalf("Stacks never showed goroutine %d blocked on a receive", id)
}

func TestDetect(t *testing.T) {
	all, ok := leakprofile.Detect()
	if ok != leakprofile.Available() {
		t.Fatalf("Detect ok = %v, Available = %v", ok, leakprofile.Available())
	}
	if !ok {
		return
	}
	self := checkmode.GoID()
	for _, g := range all {
		if g.Leaked {
			t.Errorf("Detect found a leak in a test that leaks nothing: %+v", g)
		}
		if g.ID == self && g.State != "running" {
			t.Errorf("this goroutine is %q, want running", g.State)
		}
	}
}
