package lockx_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

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

// TestPitfall is the pitfall as a scenario: ten goroutines each add one to a
// shared total. Each critical section has an early return, the path on which
// a hand-written Unlock is forgotten; with Do there is no Unlock to forget.
func TestPitfall(t *testing.T) {
	before := runtime.NumGoroutine()
	synctest.Test(t, func(t *testing.T) {
		var (
			mu    lockx.Mutex
			total int
			seen  = map[int]bool{}
		)
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				mu.Do(func() {
					total++
					if seen[i] {
						return // the early return that leaked the lock in moby#17176
					}
					seen[i] = true
				})
			})
		}
		wg.Wait()
		if total != 10 {
			t.Errorf("total = %d, want 10", total)
		}
		if err := lockx.Idle(&mu); err != nil {
			t.Error(err)
		}
	})
	testenv.CheckGoroutines(t, before)
}

// TestEarlyExits: every way out of f releases the lock.
func TestEarlyExits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.Mutex
		for i := range 5 {
			mu.Do(func() {
				if i%2 == 0 {
					return
				}
			})
		}
		for range 3 {
			for range 3 { // a break out of a loop, as in cockroach#584
				mu.Do(func() {})
				break
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			mu.Do(func() { runtime.Goexit() }) // t.FailNow inside f does this
		}()
		<-done
		if !mu.TryDo(func() {}) {
			t.Fatal("lock held after f called runtime.Goexit")
		}
		if err := lockx.Idle(&mu); err != nil {
			t.Error(err)
		}
	})
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
	for want, f := range map[string]func(){
		"lockx: Mutex.Do: nil func":             func() { mu.Do(nil) },
		"lockx: Mutex.DoContext: nil func":      func() { mu.DoContext(ctx, nil) },
		"lockx: Mutex.DoContext: nil Context":   func() { mu.DoContext(nil, func() {}) }, //lint:ignore SA1012 the nil Context is the test
		"lockx: Mutex.TryDo: nil func":          func() { mu.TryDo(nil) },
		"lockx: RWMutex.Do: nil func":           func() { rw.Do(nil) },
		"lockx: RWMutex.RDo: nil func":          func() { rw.RDo(nil) },
		"lockx: RWMutex.DoContext: nil func":    func() { rw.DoContext(ctx, nil) },
		"lockx: RWMutex.DoContext: nil Context": func() { rw.DoContext(nil, func() {}) }, //lint:ignore SA1012 the nil Context is the test
		"lockx: RWMutex.RDoContext: nil func":   func() { rw.RDoContext(ctx, nil) },
		"lockx: RWMutex.RDoContext: nil Context": func() {
			rw.RDoContext(nil, func() {}) //lint:ignore SA1012 the nil Context is the test
		},
		"lockx: Guarded.Do: nil func":           func() { g.Do(nil) },
		"lockx: Guarded.DoContext: nil func":    func() { g.DoContext(ctx, nil) },
		"lockx: Guarded.DoContext: nil Context": func() { g.DoContext(nil, func(*int) {}) }, //lint:ignore SA1012 the nil Context is the test
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

func TestTryDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.Mutex
		if !mu.TryDo(func() {
			if mu.TryDo(func() { t.Error("TryDo ran f while the lock was held") }) {
				t.Error("TryDo reported true while the lock was held")
			}
		}) {
			t.Fatal("TryDo on a free mutex reported false")
		}
		release := make(chan struct{})
		go mu.Do(func() { <-release })
		synctest.Wait()
		if mu.TryDo(func() {}) {
			t.Error("TryDo succeeded while another goroutine held the lock")
		}
		close(release)
		synctest.Wait()
		if !mu.TryDo(func() {}) {
			t.Error("TryDo failed after the lock was released")
		}
	})
}

// TestMutualExclusion mixes Do, DoContext (some with deadlines short enough
// to give up) and TryDo across 8 goroutines × 1000 operations. The
// in-critical-section counter catches two holders at once, and the plain
// total lets the race detector check the happens-before edges of the lock.
func TestMutualExclusion(t *testing.T) {
	var (
		mu     lockx.Mutex
		inside atomic.Int32
		total  int // guarded by mu
		ran    atomic.Int64
	)
	crit := func(i int) {
		if n := inside.Add(1); n != 1 {
			t.Errorf("%d goroutines inside the critical section", n)
		}
		total++
		if i%5 == 0 {
			runtime.Gosched() // hold the lock across a reschedule: waiters queue
		}
		inside.Add(-1)
		ran.Add(1)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				switch (g + i) % 3 {
				case 0:
					mu.Do(func() { crit(i) })
				case 1:
					ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%4)*20*time.Microsecond)
					ok := false
					err := mu.DoContext(ctx, func() { ok = true; crit(i) })
					cancel()
					if (err == nil) != ok || err != nil && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("DoContext = %v, f ran: %v", err, ok)
					}
				case 2:
					mu.TryDo(func() { crit(i) })
				}
			}
		})
	}
	waitBounded(t, &wg, 30*time.Second)
	if int64(total) != ran.Load() {
		t.Errorf("total = %d, want %d", total, ran.Load())
	}
	if err := lockx.Idle(&mu); err != nil {
		t.Error(err)
	}
}

// TestDoContextTimeout holds the lock forever (until the test ends) and lets
// DoContext time out on fake time: the wait is durably blocked, so the
// bubble's clock jumps to the deadline and the test finishes at once.
func TestDoContextTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.Mutex
		release := make(chan struct{})
		defer close(release)
		go mu.Do(func() { <-release })
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		err := mu.DoContext(ctx, func() { t.Error("f ran without the lock being won") })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("DoContext = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Hour {
			t.Errorf("gave up after %v, want 1h", d)
		}
		if n := lockx.Queued(&mu); n != 0 {
			t.Errorf("%d waiters left in the queue", n)
		}
	})
}

// TestDoContextEnded: an ended ctx wins even over a free lock.
func TestDoContextEnded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
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
	} {
		if err := do(); err != context.Canceled {
			t.Errorf("%s = %v, want context.Canceled", name, err)
		}
	}
}

// TestReentrantDoContext: calling DoContext on a mutex from inside its own f
// deadlocks, as sync.Mutex does, but the context bounds it.
func TestReentrantDoContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.Mutex
		mu.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := mu.DoContext(ctx, func() {}); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("nested DoContext = %v, want DeadlineExceeded", err)
			}
		})
		if err := lockx.Idle(&mu); err != nil {
			t.Error(err)
		}
	})
}

// TestAbandonOne: a waiter gives up while the holder holds on; it leaves
// nothing behind, and the lock passes normally once released.
func TestAbandonOne(t *testing.T) {
	before := runtime.NumGoroutine()
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.Mutex
		release := make(chan struct{})
		go mu.Do(func() { <-release })
		synctest.Wait()

		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { errc <- mu.DoContext(ctx, func() { t.Error("abandoned f ran") }) }()
		synctest.Wait()
		if n := lockx.Queued(&mu); n != 1 {
			t.Fatalf("%d queued, want 1", n)
		}
		cancel()
		if err := <-errc; err != context.Canceled {
			t.Errorf("DoContext = %v, want context.Canceled", err)
		}
		if n := lockx.Queued(&mu); n != 0 {
			t.Errorf("%d queued after the waiter gave up, want 0", n)
		}
		close(release)
		synctest.Wait()
		if !mu.TryDo(func() {}) {
			t.Error("lock not free after holder released")
		}
		if err := lockx.Idle(&mu); err != nil {
			t.Error(err)
		}
	})
	testenv.CheckGoroutines(t, before)
}

// TestAbandonMany: 200 waiters give up at once, then the holder releases,
// and the mutex is immediately usable: TryDo, which never waits, wins it.
func TestAbandonMany(t *testing.T) {
	for _, how := range []string{"cancel", "deadline", "cancel during release"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu lockx.Mutex
				release := make(chan struct{})
				go mu.Do(func() { <-release })
				synctest.Wait()

				ctx, cancel := context.WithCancel(context.Background())
				if how == "deadline" {
					ctx, cancel = context.WithTimeout(context.Background(), time.Second)
				}
				defer cancel()
				type result struct {
					err error
					ran bool
				}
				results := make(chan result, 200)
				for range 200 {
					go func() {
						ran := false
						err := mu.DoContext(ctx, func() { ran = true })
						results <- result{err, ran}
					}()
				}
				synctest.Wait()
				if n := lockx.Queued(&mu); n != 200 {
					t.Fatalf("%d queued, want 200", n)
				}
				switch how {
				case "cancel":
					cancel()
				case "cancel during release":
					// The release wakes the first waiter as everyone gives
					// up: a wake-up or a grant that reaches a waiter which
					// gives up must be passed on, not lost. Some waiters may
					// win the lock before the cancellation reaches them.
					go cancel()
					close(release)
				}
				for range 200 {
					r := <-results
					if r.ran != (r.err == nil) || r.err != nil && !errors.Is(r.err, ctx.Err()) {
						t.Fatalf("DoContext = %v, f ran: %v", r.err, r.ran)
					}
					if r.ran && how != "cancel during release" {
						t.Fatal("an abandoned waiter ran f")
					}
				}
				if how != "cancel during release" {
					if n := lockx.Queued(&mu); n != 0 {
						t.Fatalf("%d queued after all gave up", n)
					}
					close(release)
				}
				synctest.Wait()
				if !mu.TryDo(func() {}) {
					t.Fatal("mutex not immediately usable")
				}
				if err := lockx.Idle(&mu); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestFIFO: queued waiters are served in arrival order when nobody barges.
func TestFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.Mutex
		release := make(chan struct{})
		go mu.Do(func() { <-release })
		synctest.Wait()
		var order []int
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() { mu.Do(func() { order = append(order, i) }) })
			synctest.Wait() // queued before the next one starts
		}
		close(release)
		wg.Wait()
		if fmt.Sprint(order) != "[0 1 2 3 4]" {
			t.Errorf("order = %v, want [0 1 2 3 4]", order)
		}
	})
}

// TestNoStarvation: while goroutines hammer Do in tight loops, each
// barging in nanoseconds after its last release, a Do from outside the
// loops still gets the lock within a bound. TestStarvationHandoff checks
// the hand-off rule itself, deterministically; this checks the bound end to
// end under real contention.
func TestNoStarvation(t *testing.T) {
	var (
		mu      lockx.Mutex
		stop    atomic.Bool
		wg      sync.WaitGroup
		hammers = runtime.GOMAXPROCS(0)
		n       int
	)
	for range hammers {
		wg.Go(func() {
			for !stop.Load() {
				mu.Do(func() { n++ })
			}
		})
	}
	rounds := 100
	if testing.Short() {
		rounds = 20
	}
	var worst time.Duration
	for range rounds {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := mu.DoContext(ctx, func() { n++ })
		cancel()
		if err != nil {
			t.Errorf("a waiter starved: no lock after 2s of hammering (%v)", err)
			break
		}
		worst = max(worst, time.Since(start))
		time.Sleep(50 * time.Microsecond) // let the hammerers have it again
	}
	stop.Store(true)
	waitBounded(t, &wg, 10*time.Second)
	t.Logf("%d hammering goroutines; longest wait for the lock: %v", hammers, worst)
}

// TestStress hammers the slow path: Do, DoContext with deadlines and
// cancellations timed to race the hand-off, and TryDo, all at once, for a
// bounded time. A lost wake-up leaves a goroutine stuck and fails
// waitBounded; a double grant fails the in-critical-section check; a
// leftover waiter or flag fails Idle.
func TestStress(t *testing.T) {
	d := time.Second
	if testing.Short() {
		d = 200 * time.Millisecond
	}
	var (
		mu     lockx.Mutex
		inside atomic.Int32
		total  int
		ran    atomic.Int64
		wg     sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	crit := func(hold int) {
		if n := inside.Add(1); n != 1 {
			t.Errorf("%d goroutines inside", n)
		}
		total++
		busy(hold)
		inside.Add(-1)
		ran.Add(1)
	}
	for g := range 12 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for time.Now().Before(deadline) {
				hold := holdFor(r)
				switch g % 4 {
				case 0:
					mu.Do(func() { crit(hold) })
				case 1:
					ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.IntN(30))*time.Microsecond)
					ok := false
					err := mu.DoContext(ctx, func() { ok = true; crit(hold) })
					cancel()
					if (err == nil) != ok {
						t.Errorf("DoContext = %v but f ran = %v", err, ok)
					}
				case 2:
					// The cancellation comes from another goroutine, at
					// whatever moment it gets to run.
					ctx, cancel := context.WithCancel(context.Background())
					go cancel()
					ok := false
					err := mu.DoContext(ctx, func() { ok = true; crit(hold) })
					cancel()
					if (err == nil) != ok {
						t.Errorf("DoContext = %v but f ran = %v", err, ok)
					}
				case 3:
					if !mu.TryDo(func() { crit(hold) }) {
						runtime.Gosched() // a TryDo loop must not hog a P
					}
				}
			}
		})
	}
	waitBounded(t, &wg, d+20*time.Second)
	if int64(total) != ran.Load() {
		t.Errorf("total = %d, want %d", total, ran.Load())
	}
	if err := lockx.Idle(&mu); err != nil {
		t.Error(err)
	}
	t.Logf("%d critical sections in %v", ran.Load(), d)
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

// TestRWStress is TestStress for RWMutex: readers and writers, with and
// without contexts that end at random moments.
func TestRWStress(t *testing.T) {
	d := time.Second
	if testing.Short() {
		d = 200 * time.Millisecond
	}
	var (
		mu               lockx.RWMutex
		readers, writers atomic.Int32
		total            int
		wrote            atomic.Int64
		wg               sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	read := func(hold int) {
		readers.Add(1)
		if n := writers.Load(); n != 0 {
			t.Errorf("reader inside with %d writers", n)
		}
		_ = total
		busy(hold)
		readers.Add(-1)
	}
	write := func(hold int) {
		if n := writers.Add(1); n != 1 {
			t.Errorf("%d writers inside", n)
		}
		if n := readers.Load(); n != 0 {
			t.Errorf("writer inside with %d readers", n)
		}
		total++
		busy(hold)
		writers.Add(-1)
		wrote.Add(1)
	}
	for g := range 12 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 2))
			for time.Now().Before(deadline) {
				hold := holdFor(r)
				var ctx context.Context
				var cancel context.CancelFunc
				switch r.IntN(3) {
				case 0:
				case 1:
					ctx, cancel = context.WithTimeout(context.Background(), time.Duration(r.IntN(30))*time.Microsecond)
				case 2:
					ctx, cancel = context.WithCancel(context.Background())
					go cancel()
				}
				ok := false
				var err error
				switch {
				case g%3 == 0 && ctx == nil:
					mu.Do(func() { write(hold) })
					ok = true
				case g%3 == 0:
					err = mu.DoContext(ctx, func() { ok = true; write(hold) })
				case ctx == nil:
					mu.RDo(func() { read(hold) })
					ok = true
				default:
					err = mu.RDoContext(ctx, func() { ok = true; read(hold) })
				}
				if cancel != nil {
					cancel()
				}
				if (err == nil) != ok {
					t.Errorf("got %v but f ran = %v", err, ok)
				}
			}
		})
	}
	waitBounded(t, &wg, d+20*time.Second)
	if int64(total) != wrote.Load() {
		t.Errorf("total = %d, want %d", total, wrote.Load())
	}
	if err := lockx.RWIdle(&mu); err != nil {
		t.Error(err)
	}
}

// TestReadersShare: two readers are provably inside at once, each waiting
// inside RDo for the other to arrive. If readers excluded each other, both
// would block and the bubble would report a deadlock.
func TestReadersShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.RWMutex
		in1, in2 := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { mu.RDo(func() { close(in1); <-in2 }) })
		wg.Go(func() {
			if err := mu.RDoContext(t.Context(), func() { close(in2); <-in1 }); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if err := lockx.RWIdle(&mu); err != nil {
			t.Error(err)
		}
	})
}

// TestWritersExclude: while a writer holds the lock, no reader or writer
// enters; while readers hold it, no writer enters.
func TestWritersExclude(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.RWMutex
		release := make(chan struct{})
		go mu.Do(func() { <-release })
		synctest.Wait()
		var entered []string
		var wg sync.WaitGroup
		wg.Go(func() { mu.RDo(func() { entered = append(entered, "reader") }) })
		synctest.Wait()
		wg.Go(func() { mu.Do(func() { entered = append(entered, "writer") }) })
		synctest.Wait()
		if len(entered) != 0 {
			t.Fatalf("%v entered while a writer held the lock", entered)
		}
		close(release)
		wg.Wait()
		if fmt.Sprint(entered) != "[reader writer]" {
			t.Errorf("entered %v, want [reader writer]", entered)
		}

		// Readers hold; a writer waits for both to leave.
		leave := make(chan struct{})
		for range 2 {
			go mu.RDo(func() { <-leave })
		}
		synctest.Wait()
		wrote := make(chan struct{})
		go mu.Do(func() { close(wrote) })
		synctest.Wait()
		select {
		case <-wrote:
			t.Fatal("writer entered while readers held the lock")
		default:
		}
		close(leave)
		<-wrote
		synctest.Wait()
		if err := lockx.RWIdle(&mu); err != nil {
			t.Error(err)
		}
	})
}

// TestWriterNotStarved: readers overlap so that at every instant one of
// them holds the lock. A writer must still get in, and it must get in as
// soon as the readers already inside leave: readers arriving after it wait.
func TestWriterNotStarved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.RWMutex
		const hold = 10 * time.Millisecond
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				time.Sleep(time.Duration(i) * hold / 4) // staggered: the reads overlap
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.RDo(func() { time.Sleep(hold) })
				}
			})
		}
		time.Sleep(5 * hold)
		start := time.Now()
		mu.Do(func() {})
		if d := time.Since(start); d > hold {
			t.Errorf("writer waited %v under a stream of readers, want at most %v", d, hold)
		}
		close(stop)
		wg.Wait()
	})
}

// TestReadersQueuedBehindWriterEnterTogether: writers do not starve readers
// either: the readers that queued behind a writer all enter together.
func TestReadersQueuedBehindWriterEnterTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.RWMutex
		release := make(chan struct{})
		go mu.Do(func() { <-release })
		synctest.Wait()
		in1, in2 := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { mu.RDo(func() { close(in1); <-in2 }) })
		wg.Go(func() { mu.RDo(func() { close(in2); <-in1 }) })
		synctest.Wait()
		wg.Go(func() { mu.Do(func() {}) }) // a second writer, behind the readers
		synctest.Wait()
		close(release)
		wg.Wait()
	})
}

// TestRWAbandon: a writer that gives up lets in the readers queued behind
// it, even while the reader it was waiting for still holds the lock.
func TestRWAbandon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.RWMutex
		leave := make(chan struct{})
		go mu.RDo(func() { <-leave })
		synctest.Wait()

		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { errc <- mu.DoContext(ctx, func() { t.Error("abandoned writer ran") }) }()
		synctest.Wait()
		read := make(chan struct{})
		go mu.RDo(func() { close(read) }) // queued behind the writer
		synctest.Wait()
		select {
		case <-read:
			t.Fatal("reader passed a waiting writer")
		default:
		}
		cancel()
		if err := <-errc; err != context.Canceled {
			t.Errorf("DoContext = %v, want context.Canceled", err)
		}
		<-read // the first reader still holds the lock
		close(leave)
		synctest.Wait()
		if err := lockx.RWIdle(&mu); err != nil {
			t.Error(err)
		}
	})
}

// TestRWAbandonMany: 200 readers and writers give up at once while a writer
// holds the lock; afterwards the lock is idle and usable.
func TestRWAbandonMany(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.RWMutex
		release := make(chan struct{})
		go mu.Do(func() { <-release })
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		errs := make(chan error, 200)
		for i := range 200 {
			go func() {
				if i%3 == 0 {
					errs <- mu.DoContext(ctx, func() { t.Error("abandoned writer ran") })
				} else {
					errs <- mu.RDoContext(ctx, func() { t.Error("abandoned reader ran") })
				}
			}()
		}
		synctest.Wait()
		if n := lockx.RWQueued(&mu); n != 200 {
			t.Fatalf("%d queued, want 200", n)
		}
		for range 200 {
			if err := <-errs; err != context.DeadlineExceeded {
				t.Fatalf("got %v, want DeadlineExceeded", err)
			}
		}
		close(release)
		synctest.Wait()
		if err := lockx.RWIdle(&mu); err != nil {
			t.Fatal(err)
		}
		mu.Do(func() {})
		mu.RDo(func() {})
	})
}

// TestRWDoContextTimeout: readers waiting for a writer, and a writer waiting
// for a reader, time out on fake time.
func TestRWDoContextTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.RWMutex
		release := make(chan struct{})
		go mu.Do(func() { <-release })
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := mu.RDoContext(ctx, func() {}); err != context.DeadlineExceeded {
			t.Errorf("RDoContext = %v, want DeadlineExceeded", err)
		}
		close(release)
		synctest.Wait()

		leave := make(chan struct{})
		go mu.RDo(func() { <-leave })
		synctest.Wait()
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := mu.DoContext(ctx, func() {}); err != context.DeadlineExceeded {
			t.Errorf("DoContext = %v, want DeadlineExceeded", err)
		}
		close(leave)
		synctest.Wait()
		if err := lockx.RWIdle(&mu); err != nil {
			t.Error(err)
		}
	})
}

func TestGuarded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var zero lockx.Guarded[map[string]int] // zero value: holds a nil map
		zero.Do(func(m *map[string]int) {
			if *m != nil {
				t.Error("zero Guarded holds a non-zero value")
			}
			*m = map[string]int{"a": 1}
		})
		zero.Do(func(m *map[string]int) {
			if (*m)["a"] != 1 {
				t.Error("value not kept between Do calls")
			}
		})

		g := lockx.NewGuarded([]int{1, 2})
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() { g.Do(func(s *[]int) { *s = append(*s, i) }) })
		}
		wg.Wait()
		g.Do(func(s *[]int) {
			if len(*s) != 12 {
				t.Errorf("len = %d, want 12", len(*s))
			}
		})

		release := make(chan struct{})
		go g.Do(func(*[]int) { <-release })
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := g.DoContext(ctx, func(*[]int) { t.Error("ran") }); err != context.DeadlineExceeded {
			t.Errorf("DoContext = %v, want DeadlineExceeded", err)
		}
		close(release)
		if err := g.DoContext(context.Background(), func(s *[]int) { *s = nil }); err != nil {
			t.Error(err)
		}
		if err := lockx.GuardedIdle(g); err != nil {
			t.Error(err)
		}
	})
}

func TestZeroAllocs(t *testing.T) {
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
	} {
		if a := testing.AllocsPerRun(1000, f); a != 0 {
			t.Errorf("%s: %v allocations per uncontended call, want 0", name, a)
		}
	}
}

// The benchmarks pair each primitive with the hand-written code it replaces.
// A baseline calls a function doing exactly what a careful programmer
// writes: Lock, defer Unlock, the same work as the f given to lockx.

var sink int

//go:noinline
func incLocked(mu *sync.Mutex, n *int) {
	mu.Lock()
	defer mu.Unlock()
	*n++
}

//go:noinline
func incRWLocked(mu *sync.RWMutex, n *int) {
	mu.Lock()
	defer mu.Unlock()
	*n++
}

//go:noinline
func readRLocked(mu *sync.RWMutex, n *int) int {
	mu.RLock()
	defer mu.RUnlock()
	return *n
}

func BenchmarkDo(b *testing.B) {
	var mu lockx.Mutex
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		mu.Do(func() { n++ })
	}
	sink = n
}

func BenchmarkDoSyncMutex(b *testing.B) {
	var mu sync.Mutex
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		incLocked(&mu, &n)
	}
	sink = n
}

func BenchmarkDoContext(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu lockx.Mutex
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if err := mu.DoContext(ctx, func() { n++ }); err != nil {
			b.Fatal(err)
		}
	}
	sink = n
}

func BenchmarkTryDo(b *testing.B) {
	var mu lockx.Mutex
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		mu.TryDo(func() { n++ })
	}
	sink = n
}

func BenchmarkTryDoSyncMutex(b *testing.B) {
	var mu sync.Mutex
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		tryIncLocked(&mu, &n)
	}
	sink = n
}

//go:noinline
func tryIncLocked(mu *sync.Mutex, n *int) bool {
	if !mu.TryLock() {
		return false
	}
	defer mu.Unlock()
	*n++
	return true
}

func BenchmarkDoParallel(b *testing.B) {
	var mu lockx.Mutex
	n := 0
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Do(func() { n++ })
		}
	})
	sink = n
}

func BenchmarkDoParallelSyncMutex(b *testing.B) {
	var mu sync.Mutex
	n := 0
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			incLocked(&mu, &n)
		}
	})
	sink = n
}

func BenchmarkDoContextParallel(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu lockx.Mutex
	n := 0
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.DoContext(ctx, func() { n++ })
		}
	})
	sink = n
}

func BenchmarkRWDo(b *testing.B) {
	var mu lockx.RWMutex
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		mu.Do(func() { n++ })
	}
	sink = n
}

func BenchmarkRWDoSyncRWMutex(b *testing.B) {
	var mu sync.RWMutex
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		incRWLocked(&mu, &n)
	}
	sink = n
}

func BenchmarkRDo(b *testing.B) {
	var mu lockx.RWMutex
	n, s := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		mu.RDo(func() { s += n })
	}
	sink = s
}

func BenchmarkRDoSyncRWMutex(b *testing.B) {
	var mu sync.RWMutex
	n, s := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		s += readRLocked(&mu, &n)
	}
	sink = s
}

func BenchmarkRDoParallel(b *testing.B) {
	var mu lockx.RWMutex
	n := 0
	b.RunParallel(func(pb *testing.PB) {
		s := 0
		for pb.Next() {
			mu.RDo(func() { s += n })
		}
		_ = s
	})
}

func BenchmarkRDoParallelSyncRWMutex(b *testing.B) {
	var mu sync.RWMutex
	n := 0
	b.RunParallel(func(pb *testing.PB) {
		s := 0
		for pb.Next() {
			s += readRLocked(&mu, &n)
		}
		_ = s
	})
}

// The mixed benchmarks write once in every 10 operations.
func BenchmarkRWMixedParallel(b *testing.B) {
	var mu lockx.RWMutex
	n := 0
	b.RunParallel(func(pb *testing.PB) {
		s := 0
		for i := 0; pb.Next(); i++ {
			if i%10 == 0 {
				mu.Do(func() { n++ })
			} else {
				mu.RDo(func() { s += n })
			}
		}
		_ = s
	})
}

func BenchmarkRWMixedParallelSyncRWMutex(b *testing.B) {
	var mu sync.RWMutex
	n := 0
	b.RunParallel(func(pb *testing.PB) {
		s := 0
		for i := 0; pb.Next(); i++ {
			if i%10 == 0 {
				incRWLocked(&mu, &n)
			} else {
				s += readRLocked(&mu, &n)
			}
		}
		_ = s
	})
}

func BenchmarkGuardedDo(b *testing.B) {
	g := lockx.NewGuarded(0)
	b.ReportAllocs()
	for b.Loop() {
		g.Do(func(v *int) { *v++ })
	}
}

// BenchmarkGuardedDoSyncMutex is the hand-written guarded value: a struct
// with a mutex beside the value it protects.
func BenchmarkGuardedDoSyncMutex(b *testing.B) {
	var g struct {
		mu sync.Mutex
		v  int
	}
	b.ReportAllocs()
	for b.Loop() {
		incLocked(&g.mu, &g.v)
	}
}
