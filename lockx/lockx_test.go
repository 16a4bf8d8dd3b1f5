package lockx_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/testenv"
	"github.com/leakproof/leakproof/lockx"
)

// Tests that could block run in a synctest bubble where they can: a
// goroutine left waiting for a lock is durably blocked there, so a lost
// wake-up fails the test at once with a deadlock report. Tests that need
// real parallelism bound their waits with waitBounded instead.

// waitBounded waits for wg, failing the test with every goroutine's stack if
// that takes longer than d: a goroutine stuck waiting for a lock that was
// released is a lost wake-up.
func waitBounded(t *testing.T, wg *sync.WaitGroup, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines still running after %v (lost wake-up?):\n%s", d, buf[:runtime.Stack(buf, true)])
	}
}

type boom struct{ n int }

// TestPanics: a panic in f reaches the caller as the same value, after the
// lock has been released.
func TestPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var (
			mu lockx.Mutex
			rw lockx.RWMutex
			g  lockx.Guarded[int]
		)
		for name, do := range map[string]func(f func()){
			"Mutex.Do":           mu.Do,
			"Mutex.DoContext":    func(f func()) { mu.DoContext(ctx, f) },
			"Mutex.TryDo":        func(f func()) { mu.TryDo(f) },
			"RWMutex.Do":         rw.Do,
			"RWMutex.RDo":        rw.RDo,
			"RWMutex.DoContext":  func(f func()) { rw.DoContext(ctx, f) },
			"RWMutex.RDoContext": func(f func()) { rw.RDoContext(ctx, f) },
			"Guarded.Do":         func(f func()) { g.Do(func(*int) { f() }) },
			"Guarded.DoContext":  func(f func()) { g.DoContext(ctx, func(*int) { f() }) },
			"Guarded.RDo":        func(f func()) { g.RDo(func(*int) { f() }) },
			"Guarded.RDoContext": func(f func()) { g.RDoContext(ctx, func(*int) { f() }) },
			"Mutex.DoWhen":       func(f func()) { mu.DoWhen(ctx, func() bool { return true }, f) },
			"Mutex.DoWhen cond":  func(f func()) { mu.DoWhen(ctx, func() bool { f(); return true }, func() {}) },
			"RWMutex.DoWhen":     func(f func()) { rw.DoWhen(ctx, func() bool { return true }, f) },
			"Guarded.DoWhen":     func(f func()) { g.DoWhen(ctx, func(*int) bool { return true }, func(*int) { f() }) },
		} {
			want := &boom{1}
			if got := testenv.PanicValue(func() { do(func() { panic(want) }) }); got != want {
				t.Errorf("%s: recovered %v, want the same value %v", name, got, want)
			}
			for _, err := range []error{lockx.Idle(&mu), lockx.RWIdle(&rw), lockx.GuardedIdle(&g)} {
				if err != nil {
					t.Errorf("%s: after panic: %v", name, err)
				}
			}
		}
		// A panic with a waiter queued hands the lock on.
		release := make(chan struct{})
		go func() {
			defer func() { recover() }()
			mu.Do(func() { <-release; panic("x") })
		}()
		synctest.Wait()
		ran := make(chan bool)
		go func() { mu.Do(func() {}); ran <- true }()
		synctest.Wait()
		close(release)
		<-ran
	})
}

func TestNilPanics(t *testing.T) {
	ctx := context.Background()
	var (
		mu lockx.Mutex
		rw lockx.RWMutex
		g  lockx.Guarded[int]
	)
	yes := func() bool { return true }
	gyes := func(*int) bool { return true }
	//lint:file-ignore SA1012 the nil Contexts are the test
	for want, f := range map[string]func(){
		"lockx: Mutex.Do: nil func":              func() { mu.Do(nil) },
		"lockx: Mutex.DoContext: nil func":       func() { mu.DoContext(ctx, nil) },
		"lockx: Mutex.DoContext: nil Context":    func() { mu.DoContext(nil, func() {}) },
		"lockx: Mutex.TryDo: nil func":           func() { mu.TryDo(nil) },
		"lockx: Mutex.DoWhen: nil func":          func() { mu.DoWhen(ctx, yes, nil) },
		"lockx: Mutex.DoWhen: nil cond":          func() { mu.DoWhen(ctx, nil, func() {}) },
		"lockx: Mutex.DoWhen: nil Context":       func() { mu.DoWhen(nil, yes, func() {}) },
		"lockx: RWMutex.Do: nil func":            func() { rw.Do(nil) },
		"lockx: RWMutex.RDo: nil func":           func() { rw.RDo(nil) },
		"lockx: RWMutex.DoContext: nil func":     func() { rw.DoContext(ctx, nil) },
		"lockx: RWMutex.DoContext: nil Context":  func() { rw.DoContext(nil, func() {}) },
		"lockx: RWMutex.RDoContext: nil func":    func() { rw.RDoContext(ctx, nil) },
		"lockx: RWMutex.RDoContext: nil Context": func() { rw.RDoContext(nil, func() {}) },
		"lockx: RWMutex.DoWhen: nil func":        func() { rw.DoWhen(ctx, yes, nil) },
		"lockx: RWMutex.DoWhen: nil cond":        func() { rw.DoWhen(ctx, nil, func() {}) },
		"lockx: RWMutex.DoWhen: nil Context":     func() { rw.DoWhen(nil, yes, func() {}) },
		"lockx: Guarded.Do: nil func":            func() { g.Do(nil) },
		"lockx: Guarded.DoContext: nil func":     func() { g.DoContext(ctx, nil) },
		"lockx: Guarded.DoContext: nil Context":  func() { g.DoContext(nil, func(*int) {}) },
		"lockx: Guarded.RDo: nil func":           func() { g.RDo(nil) },
		"lockx: Guarded.RDoContext: nil func":    func() { g.RDoContext(ctx, nil) },
		"lockx: Guarded.RDoContext: nil Context": func() { g.RDoContext(nil, func(*int) {}) },
		"lockx: Guarded.DoWhen: nil func":        func() { g.DoWhen(ctx, gyes, nil) },
		"lockx: Guarded.DoWhen: nil cond":        func() { g.DoWhen(ctx, nil, func(*int) {}) },
		"lockx: Guarded.DoWhen: nil Context":     func() { g.DoWhen(nil, gyes, func(*int) {}) },
	} {
		if got := testenv.PanicValue(f); got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}
	// The misuse is caught before the lock is touched.
	for _, err := range []error{lockx.Idle(&mu), lockx.RWIdle(&rw), lockx.GuardedIdle(&g)} {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestDoContextEnded: an ended ctx wins even over a free lock.
func TestDoContextEnded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	yes := func() bool { t.Error("cond ran"); return true }
	gyes := func(*int) bool { t.Error("cond ran"); return true }
	var (
		mu lockx.Mutex
		rw lockx.RWMutex
		g  lockx.Guarded[int]
	)
	for name, do := range map[string]func() error{
		"Mutex.DoContext":    func() error { return mu.DoContext(ctx, func() { t.Error("Mutex f ran") }) },
		"RWMutex.DoContext":  func() error { return rw.DoContext(ctx, func() { t.Error("RWMutex f ran") }) },
		"RWMutex.RDoContext": func() error { return rw.RDoContext(ctx, func() { t.Error("RWMutex f ran") }) },
		"Guarded.DoContext":  func() error { return g.DoContext(ctx, func(*int) { t.Error("Guarded f ran") }) },
		"Guarded.RDoContext": func() error { return g.RDoContext(ctx, func(*int) { t.Error("Guarded f ran") }) },
		"Mutex.DoWhen":       func() error { return mu.DoWhen(ctx, yes, func() { t.Error("Mutex f ran") }) },
		"RWMutex.DoWhen":     func() error { return rw.DoWhen(ctx, yes, func() { t.Error("RWMutex f ran") }) },
		"Guarded.DoWhen":     func() error { return g.DoWhen(ctx, gyes, func(*int) { t.Error("Guarded f ran") }) },
	} {
		if err := do(); err != context.Canceled {
			t.Errorf("%s = %v, want context.Canceled", name, err)
		}
	}
}

// holdFor picks how long a stress test's critical section lasts: mostly a
// few hundred nanoseconds, long enough for others to queue, and now and then
// across a reschedule.
func holdFor(r *rand.Rand) int {
	if r.IntN(64) == 0 {
		return -1
	}
	return r.IntN(200)
}

var busySink atomic.Int64

func busy(n int) {
	if n < 0 {
		runtime.Gosched()
		return
	}
	for i := range n {
		busySink.Add(int64(i))
	}
}

func TestZeroAllocs(t *testing.T) {
	if checkmode.On {
		t.Skip("checked mode reads the goroutine id, which allocates")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu lockx.Mutex
		rw lockx.RWMutex
		g  lockx.Guarded[int]
		n  int
	)
	for name, f := range map[string]func(){
		"Mutex.Do":           func() { mu.Do(func() { n++ }) },
		"Mutex.DoContext":    func() { mu.DoContext(ctx, func() { n++ }) },
		"Mutex.TryDo":        func() { mu.TryDo(func() { n++ }) },
		"RWMutex.Do":         func() { rw.Do(func() { n++ }) },
		"RWMutex.RDo":        func() { rw.RDo(func() { _ = n }) },
		"RWMutex.DoContext":  func() { rw.DoContext(ctx, func() { n++ }) },
		"RWMutex.RDoContext": func() { rw.RDoContext(ctx, func() { _ = n }) },
		"Guarded.Do":         func() { g.Do(func(v *int) { *v++ }) },
		"Guarded.DoContext":  func() { g.DoContext(ctx, func(v *int) { *v++ }) },
		"Guarded.RDo":        func() { g.RDo(func(v *int) { _ = *v }) },
		"Guarded.RDoContext": func() { g.RDoContext(ctx, func(v *int) { _ = *v }) },
		"Mutex.DoWhen":       func() { mu.DoWhen(ctx, func() bool { return n >= 0 }, func() { n++ }) },
		"RWMutex.DoWhen":     func() { rw.DoWhen(ctx, func() bool { return n >= 0 }, func() { n++ }) },
		"Guarded.DoWhen":     func() { g.DoWhen(ctx, func(v *int) bool { return *v >= 0 }, func(v *int) { *v++ }) },
	} {
		if a := testing.AllocsPerRun(1000, f); a != 0 {
			t.Errorf("%s: %v allocations per uncontended call (or cond true at once), want 0", name, a)
		}
	}
}

// The benchmarks pair each primitive with the hand-written code it replaces.
// A baseline calls a function doing exactly what a careful programmer
// writes: Lock, defer Unlock, the same work as the f given to lockx.

var sink int
