package lockx_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/internal/testenv"
	"github.com/leakproof/leakproof/lockx"
)

// Adversarial tests: cancellation storms against every kind of waiter at
// once, DoWhen's corner cases (panicking and exiting conds, changes made
// only by TryDo or by a panicking f, cancellation racing the cond), and
// testing/synctest's view of a stuck lock. They hold in every build;
// adversarial_check_test.go attacks checked mode.

// A stormResult is what one waiter of a storm saw.
type stormResult struct {
	i    int
	name string
	err  error
	ran  int
	ctx  context.Context
}

func (r stormResult) check(t *testing.T) {
	t.Helper()
	switch {
	case r.err == nil && r.ran != 1, r.err != nil && r.ran != 0:
		t.Errorf("%s returned %v after running f %d times", r.name, r.err, r.ran)
	case r.err != nil && r.err != r.ctx.Err():
		t.Errorf("%s returned %v, its ctx says %v", r.name, r.err, r.ctx.Err())
	}
}

// queueStorm starts n waiters of every kind l has on l, each with its own
// ctx, and returns their cancel funcs and the channel their results come
// on. conds of the DoWhen waiters hold once *ready is true.
func queueStorm(l stressLock, n int, ready *bool, r *rand.Rand) ([]context.CancelFunc, chan stormResult) {
	results := make(chan stormResult, n)
	cancels := make([]context.CancelFunc, n)
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		res := stormResult{i: i, ctx: ctx}
		switch k := r.IntN(4); {
		case k == 0 && l.rdoCtx != nil:
			res.name = l.name + ".RDoContext"
			go func() { res.err = l.rdoCtx(ctx, func() { res.ran++ }); results <- res }()
		case k == 1:
			res.name = l.name + ".DoWhen"
			go func() {
				res.err = l.doWhen(ctx, func() bool { return *ready }, func() { res.ran++ })
				results <- res
			}()
		default:
			res.name = l.name + ".DoContext"
			go func() { res.err = l.doCtx(ctx, func() { res.ran++ }); results <- res }()
		}
	}
	return cancels, results
}

// TestStormCancelQueued: a holder keeps the lock, exclusively or shared,
// while writers, readers and DoWhen waiters queue behind it; a random part
// of them gives up, exactly while queued; then the holder lets go, making
// the DoWhen conds true. Those that gave up ran nothing, the rest each ran
// once, and the lock is left idle and free. A waiter stranded by a give-up
// is durably blocked, and the bubble reports it.
func TestStormCancelQueued(t *testing.T) {
	for seed := range 12 {
		for _, kind := range stressKinds {
			for _, shared := range []bool{false, true} {
				if shared && kind == "Mutex" {
					continue
				}
				t.Run(fmt.Sprintf("%s/shared=%v/%d", kind, shared, seed), func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) { stormCancelQueued(t, newStressLock(kind), shared, seed) })
				})
			}
		}
	}
}

func stormCancelQueued(t *testing.T, l stressLock, shared bool, seed int) {
	{
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		var ready bool
		release := make(chan struct{})
		hold := l.do
		if shared {
			hold = l.rdo
		}
		go hold(func() { <-release })
		synctest.Wait()
		const n = 40
		cancels, results := queueStorm(l, n, &ready, r)
		synctest.Wait()
		// Readers that came before any writer queued are inside already,
		// beside the holder, and done.
		var all []stormResult
		for len(results) > 0 {
			all = append(all, <-results)
		}
		early := len(all)
		gaveUp := map[int]bool{}
		for i := range n {
			if r.IntN(2) == 0 {
				gaveUp[i] = true
				cancels[i]()
			}
		}
		synctest.Wait() // the give-ups are done before anyone is let in
		close(release)
		l.do(func() { ready = true })
		for len(all) < n {
			all = append(all, <-results)
		}
		for j, res := range all {
			res.check(t)
			switch {
			case j < early && (res.err != nil || !strings.HasSuffix(res.name, "RDoContext")):
				t.Errorf("%s finished beside the holder with %v", res.name, res.err)
			case j >= early && gaveUp[res.i] && res.err == nil:
				t.Errorf("%s ran f though its ctx was cancelled while it was queued", res.name)
			case j >= early && !gaveUp[res.i] && res.err != nil:
				t.Errorf("%s returned %v, though its ctx did not end", res.name, res.err)
			}
		}
		for _, c := range cancels {
			c()
		}
		synctest.Wait()
		if err := l.idle(); err != nil {
			t.Fatal(err)
		}
		if !lockFree(l) {
			t.Error("the lock is not free after the storm")
		}
	}
}

// lockFree reports whether l can be had at once. It must be called in a
// bubble, whose clock does not move while l is taken if l is free.
func lockFree(l stressLock) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	return l.doCtx(ctx, func() {}) == nil
}

// TestStormCancelRacingRelease: with real parallelism, under GOMAXPROCS 2
// and 8, every waiter's ctx is cancelled at the moment the holder lets go,
// so that wake-ups, hand-offs and DoWhen turns land on waiters that are
// giving up. Whatever each call returned must match what it ran, and the
// lock must end idle and free.
func TestStormCancelRacingRelease(t *testing.T) {
	for _, procs := range []int{2, 8} {
		for _, kind := range stressKinds {
			t.Run(fmt.Sprintf("%s/GOMAXPROCS=%d", kind, procs), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				l := newStressLock(kind)
				r := rand.New(rand.NewPCG(uint64(procs), 9))
				for range 25 {
					var ready bool
					release := make(chan struct{})
					held := make(chan struct{})
					var holder sync.WaitGroup
					holder.Go(func() { l.do(func() { close(held); <-release; ready = true }) })
					<-held
					const n = 16
					cancels, results := queueStorm(l, n, &ready, r)
					runtime.Gosched()
					var wg sync.WaitGroup
					for _, c := range cancels {
						wg.Go(c)
					}
					close(release)
					for range n {
						(<-results).check(t)
					}
					wg.Wait()
					holder.Wait()
					// No waiter is left, so nothing may be queued or set.
					if err := l.idle(); err != nil {
						t.Fatal(err)
					}
					var do sync.WaitGroup
					do.Go(func() { l.do(func() {}) })
					waitBounded(t, &do, 10*time.Second)
				}
			})
		}
	}
}

// TestStormFakeTime: random holders, waiters, deadlines and cancellations
// in a bubble, where fake time reorders them on every seed. Every waiter
// with a ctx that never ends must finish, since the holders all let go: if
// one is stranded, the bubble's goroutines all block and synctest reports
// a deadlock. The lock must end idle.
func TestStormFakeTime(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 5
	}
	for seed := range seeds {
		for _, kind := range stressKinds {
			t.Run(fmt.Sprintf("%s/%d", kind, seed), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					l := newStressLock(kind)
					fakeTimeStorm(t, l, seed)
				})
			})
		}
	}
}

func fakeTimeStorm(t *testing.T, l stressLock, seed int) {
	r := rand.New(rand.NewPCG(uint64(seed), 11))
	x := &exclusion{t: t}
	var wg sync.WaitGroup
	for g := range 24 {
		gr := rand.New(rand.NewPCG(uint64(seed), uint64(g)))
		start := time.Duration(r.IntN(50)) * time.Millisecond
		wg.Go(func() {
			time.Sleep(start)
			for range 6 {
				hold := time.Duration(gr.IntN(20)) * time.Millisecond
				write := func() {
					x.write(0)
					time.Sleep(hold) // a holder blocked in f, as holders are
				}
				var ctx context.Context = context.Background()
				cancel := func() {}
				switch gr.IntN(4) {
				case 1:
					ctx, cancel = context.WithTimeout(ctx, time.Duration(gr.IntN(30))*time.Millisecond)
				case 2:
					var c context.CancelFunc
					ctx, c = context.WithCancel(ctx)
					d := time.Duration(gr.IntN(30)) * time.Millisecond
					tm := time.AfterFunc(d, c)
					cancel = func() { tm.Stop(); c() }
				}
				ran := 0
				var err error
				checked := false
				switch op := gr.IntN(6); {
				case op == 0 && l.rdoCtx != nil:
					err = l.rdoCtx(ctx, func() { ran++; x.read(0); time.Sleep(hold) })
				case op == 1:
					// n grows by one per write, and some writer is always
					// to come until the last goroutine's DoWhen: that one
					// may wait for a change nobody makes, so it gets a
					// deadline.
					want := x.readN(l) + 1 + gr.IntN(3)
					wctx, wcancel := context.WithTimeout(ctx, time.Second)
					err = l.doWhen(wctx, func() bool { x.alone(); return x.n >= want }, func() { ran++; write() })
					if (err == nil) != (ran == 1) || err != nil && err != wctx.Err() {
						t.Errorf("DoWhen returned %v after running f %d times (ctx: %v)", err, ran, wctx.Err())
					}
					wcancel()
					checked = true
				case op == 2 && l.tryDo != nil:
					if l.tryDo(func() { ran++; write() }) != (ran == 1) {
						t.Error("TryDo's result does not match f")
					}
					checked = true
				default:
					err = l.doCtx(ctx, func() { ran++; write() })
				}
				cancel()
				if !checked && ((err == nil) != (ran == 1) || err != nil && err != ctx.Err()) {
					t.Errorf("returned %v after running f %d times (ctx: %v)", err, ran, ctx.Err())
				}
			}
		})
	}
	wg.Wait()
	synctest.Wait()
	if err := l.idle(); err != nil {
		t.Fatal(err)
	}
}

// readN reads x.n in a critical section of l.
func (x *exclusion) readN(l stressLock) (n int) {
	l.do(func() { n = x.n })
	return n
}

// TestDoWhenAlreadyTrue: a DoWhen whose cond holds when it gets the lock
// runs f without waiting for any change, even with other DoWhen waiters
// asleep on the lock, and on an RWMutex waits only for the readers inside
// to leave, though leaving changes nothing.
func TestDoWhenAlreadyTrue(t *testing.T) {
	for _, kind := range stressKinds {
		t.Run(kind, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newStressLock(kind)
				asleep := make(chan error, 3)
				var n int
				for range 3 {
					go func() { asleep <- l.doWhen(t.Context(), func() bool { return n > 10 }, func() {}) }()
				}
				synctest.Wait()
				start := time.Now()
				ran := false
				if err := l.doWhen(context.Background(), func() bool { return true }, func() { ran = true }); err != nil || !ran {
					t.Fatalf("DoWhen = %v, f ran: %v", err, ran)
				}
				if time.Since(start) != 0 {
					t.Errorf("DoWhen with a true cond took %v", time.Since(start))
				}
				if l.rdo != nil {
					release := make(chan struct{})
					go l.rdo(func() { <-release })
					synctest.Wait()
					done := make(chan error)
					go func() { done <- l.doWhen(context.Background(), func() bool { return true }, func() {}) }()
					time.Sleep(time.Second)
					close(release) // readers change nothing; the DoWhen was waiting for the lock only
					if err := <-done; err != nil {
						t.Error(err)
					}
					if time.Since(start) != time.Second {
						t.Errorf("DoWhen behind a reader returned after %v, want 1s", time.Since(start))
					}
				}
				l.do(func() { n = 11 })
				for range 3 {
					if err := <-asleep; err != nil {
						t.Error(err)
					}
				}
				synctest.Wait()
				if err := l.idle(); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestDoWhenChangedBy: every kind of critical section that ran f counts as
// a change, however f ended: a TryDo, a DoContext, a Do whose f panicked,
// a Do whose f called runtime.Goexit, a DoWhen whose f panicked, and a
// DoWhen whose cond panicked. Each one alone makes the waiters' conds true
// and must wake them.
func TestDoWhenChangedBy(t *testing.T) {
	changes := map[string]func(l stressLock, set func()) bool{
		"TryDo": func(l stressLock, set func()) bool { return l.tryDo(set) },
		"DoContext": func(l stressLock, set func()) bool {
			return l.doCtx(context.Background(), set) == nil
		},
		"Do with a panicking f": func(l stressLock, set func()) bool {
			return testenv.PanicValue(func() { l.do(func() { set(); panic("boom") }) }) == "boom"
		},
		"Do with runtime.Goexit in f": func(l stressLock, set func()) bool {
			done := make(chan struct{})
			go func() {
				defer close(done)
				l.do(func() { set(); runtime.Goexit() })
			}()
			<-done
			return true
		},
		"DoWhen with a panicking f": func(l stressLock, set func()) bool {
			return testenv.PanicValue(func() {
				l.doWhen(context.Background(), func() bool { return true }, func() { set(); panic("boom") })
			}) == "boom"
		},
		"DoWhen with a panicking cond": func(l stressLock, set func()) bool {
			// cond must not change the state, but a cond that panics
			// halfway may have: DoWhen counts its release as a change.
			return testenv.PanicValue(func() {
				l.doWhen(context.Background(), func() bool { set(); panic("boom") }, func() {})
			}) == "boom"
		},
	}
	for name, change := range changes {
		for _, kind := range stressKinds {
			t.Run(kind+"/"+name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					l := newStressLock(kind)
					if name == "TryDo" && l.tryDo == nil {
						t.Skipf("%s has no TryDo", kind)
					}
					ready := false
					const waiters = 5
					done := make(chan error, waiters)
					for range waiters {
						go func() { done <- l.doWhen(context.Background(), func() bool { return ready }, func() {}) }()
					}
					synctest.Wait()
					if !change(l, func() { ready = true }) {
						t.Fatalf("%s did not run f", name)
					}
					for range waiters {
						if err := <-done; err != nil {
							t.Error(err)
						}
					}
					synctest.Wait()
					if err := l.idle(); err != nil {
						t.Error(err)
					}
				})
			})
		}
	}
}

// TestDoWhenPanicStorm: many waiters, every other one with a cond that
// panics once the state changes, and one with a cond that calls
// runtime.Goexit. Each panic reaches its own caller only, after the lock
// is released, and the waiters whose conds just hold all run f once.
func TestDoWhenPanicStorm(t *testing.T) {
	for _, kind := range stressKinds {
		t.Run(kind, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newStressLock(kind)
				var n, ran int
				const waiters = 30
				type outcome struct {
					i   int
					v   any
					err error
				}
				out := make(chan outcome, waiters)
				for i := range waiters {
					go func() {
						var err error
						defer func() { out <- outcome{i, recover(), err} }()
						switch {
						case i == 7:
							err = l.doWhen(context.Background(), func() bool {
								if n > 0 {
									runtime.Goexit()
								}
								return false
							}, func() {})
						case i%2 == 0:
							err = l.doWhen(context.Background(), func() bool {
								if n > 0 {
									panic(&boom{i})
								}
								return false
							}, func() { t.Error("f ran after its cond panicked") })
						default:
							err = l.doWhen(context.Background(), func() bool { return n > 0 }, func() { ran++ })
						}
					}()
				}
				synctest.Wait()
				l.do(func() { n = 1 })
				for range waiters {
					o := <-out
					switch {
					case o.i == 7:
						if o.v != nil || o.err != nil {
							t.Errorf("waiter 7 exited with %v, %v", o.v, o.err)
						}
					case o.i%2 == 0:
						if b, ok := o.v.(*boom); !ok || b.n != o.i {
							t.Errorf("waiter %d recovered %v, want its own panic", o.i, o.v)
						}
					case o.v != nil || o.err != nil:
						t.Errorf("waiter %d: recovered %v, returned %v", o.i, o.v, o.err)
					}
				}
				l.do(func() {
					if ran != waiters/2-1 { // the odd ones but 7
						t.Errorf("%d fs ran, want %d", ran, waiters/2-1)
					}
				})
				synctest.Wait()
				if err := l.idle(); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestDoWhenCancelRacesCond: a ctx cancelled at the moment a critical
// section makes the cond true. Either f ran and DoWhen returned nil, or f
// did not run and DoWhen returned ctx.Err(): never both, never neither.
func TestDoWhenCancelRacesCond(t *testing.T) {
	for _, procs := range []int{1, 2, 8} {
		for _, kind := range stressKinds {
			t.Run(fmt.Sprintf("%s/GOMAXPROCS=%d", kind, procs), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				l := newStressLock(kind)
				var ready bool
				wins, losses := 0, 0
				for i := range 150 {
					l.do(func() { ready = false })
					ctx, cancel := context.WithCancel(context.Background())
					const waiters = 3
					results := make(chan stormResult, waiters)
					for range waiters {
						go func() {
							res := stormResult{name: "DoWhen", ctx: ctx}
							res.err = l.doWhen(ctx, func() bool { return ready }, func() { res.ran++ })
							results <- res
						}()
					}
					if i%2 == 0 {
						runtime.Gosched()
					}
					go cancel()
					l.do(func() { ready = true })
					for range waiters {
						res := <-results
						res.check(t)
						if res.err == nil {
							wins++
						} else {
							losses++
						}
					}
					cancel()
				}
				t.Logf("%d ran f, %d gave up", wins, losses)
				if err := l.idle(); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestDoWhenUnderReadLoad: producers and consumers hand items over through
// DoWhen on an RWMutex and a Guarded while readers hold the lock shared
// almost all the time, and consumers give up at random moments: every item
// is consumed exactly once, and the readers never see a half-done change.
func TestDoWhenUnderReadLoad(t *testing.T) {
	for _, kind := range stressKinds[1:] {
		t.Run(kind, func(t *testing.T) {
			l := newStressLock(kind)
			const producers, consumers, perProducer, readers = 3, 3, 150, 6
			var (
				items    []int
				inFlight int // items produced and not consumed; items' length, kept apart
				consumed [producers * perProducer]atomic.Int32
				left     atomic.Int32
				stop     atomic.Bool
				pwg, cwg sync.WaitGroup
				rwg      sync.WaitGroup
			)
			left.Store(producers * perProducer)
			for range readers {
				rwg.Go(func() {
					for !stop.Load() {
						l.rdo(func() {
							if len(items) != inFlight {
								t.Errorf("a reader saw %d items, %d in flight", len(items), inFlight)
							}
						})
					}
				})
			}
			for p := range producers {
				pwg.Go(func() {
					for i := range perProducer {
						err := l.doWhen(context.Background(), func() bool { return len(items) < 4 }, func() {
							items = append(items, p*perProducer+i)
							inFlight++
						})
						if err != nil {
							t.Error(err)
						}
					}
				})
			}
			for c := range consumers {
				cwg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(c), 5))
					for left.Load() > 0 {
						ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.IntN(200))*time.Microsecond)
						item := -1
						err := l.doWhen(ctx, func() bool { return len(items) > 0 }, func() {
							item, items = items[0], items[1:]
							inFlight--
						})
						cancel()
						if (err == nil) != (item >= 0) {
							t.Errorf("DoWhen = %v, item %d", err, item)
						}
						if item >= 0 {
							if n := consumed[item].Add(1); n != 1 {
								t.Errorf("item %d consumed %d times", item, n)
							}
							left.Add(-1)
						}
					}
				})
			}
			waitBounded(t, &pwg, time.Minute)
			waitBounded(t, &cwg, time.Minute)
			stop.Store(true)
			waitBounded(t, &rwg, time.Minute)
			for i := range consumed {
				if consumed[i].Load() != 1 {
					t.Fatalf("item %d consumed %d times", i, consumed[i].Load())
				}
			}
			if err := l.idle(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestProducerConsumerCancelledInside: a Mutex-guarded queue with many
// producers and consumers, where consumers take several items at once and
// producers cancel random consumers' waits from inside their critical
// sections, while those consumers are asleep or queued. Every item is
// consumed exactly once.
func TestProducerConsumerCancelledInside(t *testing.T) {
	const producers, consumers, perProducer = 8, 8, 150
	var (
		mu        lockx.Mutex
		items     []int
		finished  bool
		producing = producers // producers not yet done; guarded by mu
		consumed  [producers * perProducer]atomic.Int32
		left      atomic.Int32
		pool      cancelPool
		pwg, cwg  sync.WaitGroup
	)
	left.Store(producers * perProducer)
	for p := range producers {
		pwg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(p), 13))
			for i := range perProducer {
				err := mu.DoWhen(context.Background(), func() bool { return len(items) < 16 }, func() {
					items = append(items, p*perProducer+i)
					if r.IntN(3) == 0 {
						pool.cancelOne(r)
					}
				})
				if err != nil {
					t.Error(err)
				}
			}
			mu.Do(func() { producing-- })
		})
	}
	for c := range consumers {
		cwg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 17))
			for {
				want := 1 + r.IntN(3)
				ctx, done := newStressCtx(r, ctxFromInside, &pool)
				var got []int
				fin := false
				err := mu.DoWhen(ctx, func() bool {
					return len(items) >= want || producing == 0 && len(items) > 0 || finished
				}, func() {
					k := min(want, len(items))
					got = append(got, items[:k]...)
					items = items[k:]
					fin = finished && len(items) == 0
				})
				done()
				if err != nil && len(got) > 0 {
					t.Errorf("DoWhen = %v after taking %v", err, got)
				}
				for _, item := range got {
					if n := consumed[item].Add(1); n != 1 {
						t.Errorf("item %d consumed %d times", item, n)
					}
					if left.Add(-1) == 0 {
						mu.Do(func() { finished = true })
					}
				}
				if fin {
					return
				}
			}
		})
	}
	waitBounded(t, &pwg, time.Minute)
	waitBounded(t, &cwg, time.Minute)
	for i := range consumed {
		if consumed[i].Load() != 1 {
			t.Fatalf("item %d consumed %d times", i, consumed[i].Load())
		}
	}
	if err := lockx.Idle(&mu); err != nil {
		t.Error(err)
	}
}

// TestSynctestSeesStuckLocks: a goroutine waiting for a lockx lock is
// durably blocked, so a bubble whose goroutines wait for a lock nobody will
// release, or for a cond nobody will make true, is reported as deadlocked
// at once instead of hanging. A deadlock fails the test that has it, so
// each runs in a child process, and the parent checks the child's report.
func TestSynctestSeesStuckLocks(t *testing.T) {
	stuck := map[string]func(t *testing.T){
		// A holder blocked in f, forever: the waiter behind it.
		"Do behind a stuck holder": func(t *testing.T) {
			var mu lockx.Mutex
			never := make(chan struct{})
			go mu.Do(func() { <-never })
			synctest.Wait()
			mu.Do(func() {})
		},
		// A reader stuck inside, a writer queued behind it, and a second
		// reader behind the writer.
		"RDo behind a writer behind a stuck reader": func(t *testing.T) {
			var mu lockx.RWMutex
			never := make(chan struct{})
			go mu.RDo(func() { <-never })
			synctest.Wait()
			go mu.Do(func() {})
			synctest.Wait()
			mu.RDo(func() {})
		},
		// A DoWhen whose cond nobody will make true: the sync.Cond.Wait
		// that nobody broadcasts, as in the GoKer kernel moby27782.
		"DoWhen on a cond that never holds": func(t *testing.T) {
			g := lockx.NewGuarded(false)
			g.DoWhen(context.Background(), func(removed *bool) bool { return *removed }, func(*bool) {})
		},
		// The same, with the lock changing hands all along: the waiter is
		// woken by each change, looks, and sleeps again durably.
		"DoWhen after changes that do not help": func(t *testing.T) {
			g := lockx.NewGuarded(0)
			go func() {
				for range 10 {
					g.Do(func(n *int) { *n++ })
				}
			}()
			g.DoWhen(context.Background(), func(n *int) bool { return *n > 10 }, func(*int) {})
		},
	}
	if mode := testenv.ChildMode(); mode != "" {
		synctest.Test(t, stuck[mode])
		t.Fatal("the bubble did not report a deadlock")
	}
	for name := range stuck {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := testenv.RunChild(t, "TestSynctestSeesStuckLocks", name)
			var exit interface{ ExitCode() int }
			if !errors.As(err, &exit) {
				t.Fatalf("child: %v\n%s%s", err, stdout, stderr)
			}
			out := stdout + stderr
			// A DoWhen whose context cannot end sleeps in a sync.Cond; every
			// other wait, on a channel of its own.
			waits := "lockx.(*waiter).wait"
			if strings.HasPrefix(name, "DoWhen") {
				waits = "sync.(*Cond).Wait"
			}
			for _, want := range []string{"deadlock: ", waits, "(durable)"} {
				if !strings.Contains(out, want) {
					t.Errorf("the child's report does not contain %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestTimeoutsOnFakeTime: in a bubble, the contexts of every waiting call
// end on fake time, at exactly their deadline, and leave the lock as it
// was: a holder still inside, and no waiter.
func TestTimeoutsOnFakeTime(t *testing.T) {
	for _, kind := range stressKinds {
		t.Run(kind, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newStressLock(kind)
				calls := map[string]func(ctx context.Context) error{
					"DoContext": func(ctx context.Context) error { return l.doCtx(ctx, func() { t.Error("f ran") }) },
					"DoWhen": func(ctx context.Context) error {
						return l.doWhen(ctx, func() bool { return true }, func() { t.Error("f ran") })
					},
				}
				if l.rdoCtx != nil {
					calls["RDoContext"] = func(ctx context.Context) error {
						return l.rdoCtx(ctx, func() { t.Error("f ran") })
					}
				}
				holds := map[string]func(func()){"exclusive": func(f func()) { go l.do(f) }}
				if l.rdo != nil {
					// A reader holding the lock and a writer queued behind
					// it: readers wait too.
					holds["shared, a writer queued"] = func(f func()) {
						go l.rdo(f)
						synctest.Wait()
						go l.do(func() {})
					}
				}
				for hname, hold := range holds {
					for cname, call := range calls {
						release := make(chan struct{})
						hold(func() { <-release })
						synctest.Wait()
						ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
						start := time.Now()
						if err := call(ctx); err != context.DeadlineExceeded || time.Since(start) != 90*time.Minute {
							t.Errorf("%s behind a holder (%s): %v after %v, want DeadlineExceeded after 90m",
								cname, hname, err, time.Since(start))
						}
						cancel()
						close(release)
						synctest.Wait()
						if err := l.idle(); err != nil {
							t.Errorf("after %s behind a holder (%s): %v", cname, hname, err)
						}
					}
				}
				// A DoWhen on a cond that stays false gives up on fake time
				// too, without the lock, and can be cancelled while the
				// lock changes hands around it.
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
				defer cancel()
				go func() {
					for range 5 {
						time.Sleep(10 * time.Minute)
						l.do(func() {})
					}
				}()
				start := time.Now()
				if err := l.doWhen(ctx, func() bool { return false }, func() {}); err != context.DeadlineExceeded || time.Since(start) != time.Hour {
					t.Errorf("DoWhen on a false cond: %v after %v, want DeadlineExceeded after 1h", err, time.Since(start))
				}
				synctest.Wait()
				if err := l.idle(); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestDoWhenKubernetes26980 ports the GoKer kernel kubernetes26980: a
// listener's pop holds its lock while it waits, first on a sync.Cond for a
// notification, then on the stop channel; once a notification is pending
// it waits for stop with the lock held, and add, or anyone else, blocks on
// the lock for good. With DoWhen, pop waits for a notification without the
// lock, takes it with the lock, and waits for stop outside any critical
// section: the lock is free between, and stop ends either wait.
func TestDoWhenKubernetes26980(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type listener struct{ pending lockx.Guarded[[]int] }
		add := func(l *listener, n int) { l.pending.Do(func(p *[]int) { *p = append(*p, n) }) }
		var popped []int
		pop := func(ctx context.Context, l *listener) {
			var n int
			err := l.pending.DoWhen(ctx, func(p *[]int) bool { return len(*p) > 0 }, func(p *[]int) {
				n, *p = (*p)[0], (*p)[1:]
			})
			if err != nil {
				return
			}
			popped = append(popped, n)
			<-ctx.Done() // the kernel's select on stopCh, now without the lock
		}
		l := new(listener)
		ctx, stop := context.WithCancel(context.Background())
		add(l, 1)
		done := make(chan struct{})
		go func() { defer close(done); pop(ctx, l) }()
		synctest.Wait()
		// The kernel's third goroutine, and a second notification: both
		// take the lock while pop waits for stop.
		l.pending.Do(func(*[]int) {})
		add(l, 2)
		stop()
		<-done
		if len(popped) != 1 || popped[0] != 1 {
			t.Errorf("popped %v, want [1]", popped)
		}
		// A pop that finds nothing waits without the lock, and stop ends
		// that wait too.
		l2 := new(listener)
		ctx2, stop2 := context.WithCancel(context.Background())
		done2 := make(chan struct{})
		go func() { defer close(done2); pop(ctx2, l2) }()
		synctest.Wait()
		l2.pending.Do(func(*[]int) {})
		stop2()
		<-done2
		for _, g := range []*listener{l, l2} {
			if err := lockx.GuardedIdle(&g.pending); err != nil {
				t.Error(err)
			}
		}
	})
}

// TestNoStarvationByTryDo: goroutines that only ever TryDo never queue, so
// they barge at every release; a writer that loses to them twice must
// still be handed the lock, and so must a DoWhen whose cond holds. Each
// wait is bounded: a starved waiter fails with its ctx's error.
func TestNoStarvationByTryDo(t *testing.T) {
	for _, procs := range []int{2, 8} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			var (
				mu   lockx.Mutex
				stop atomic.Bool
				wg   sync.WaitGroup
				n    int
			)
			for range procs {
				wg.Go(func() {
					for !stop.Load() {
						mu.TryDo(func() { n++ })
					}
				})
			}
			var worst time.Duration
			for i := range 40 {
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				var err error
				if i%2 == 0 {
					err = mu.DoContext(ctx, func() { n++ })
				} else {
					err = mu.DoWhen(ctx, func() bool { return n > 0 }, func() { n++ })
				}
				cancel()
				if err != nil {
					t.Errorf("a waiter starved behind TryDo: %v after %v", err, time.Since(start))
					break
				}
				worst = max(worst, time.Since(start))
			}
			stop.Store(true)
			waitBounded(t, &wg, 10*time.Second)
			t.Logf("longest wait: %v", worst)
			if err := lockx.Idle(&mu); err != nil {
				t.Error(err)
			}
		})
	}
}
