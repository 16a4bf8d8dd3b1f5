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

// TestDoWhenTrueAtOnce: a cond that already holds runs f without waiting.
func TestDoWhenTrueAtOnce(t *testing.T) {
	var mu lockx.Mutex
	ran := false
	if err := mu.DoWhen(t.Context(), func() bool { return true }, func() { ran = true }); err != nil || !ran {
		t.Fatalf("DoWhen = %v, f ran: %v", err, ran)
	}
	if err := lockx.Idle(&mu); err != nil {
		t.Error(err)
	}
}

// TestDoWhenWaitsForChange: DoWhen sleeps, without the lock, until a
// critical section makes cond true, and f sees the state cond saw.
func TestDoWhenWaitsForChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu    lockx.Mutex
			ready bool
			got   = make(chan bool)
		)
		go func() {
			err := mu.DoWhen(context.Background(), func() bool { return ready }, func() { got <- ready })
			if err != nil {
				t.Error(err)
			}
		}()
		synctest.Wait()
		if n := lockx.Awaiting(&mu); n != 1 {
			t.Fatalf("%d awaiting, want 1", n)
		}
		if !mu.TryDo(func() {}) {
			t.Fatal("DoWhen holds the lock while cond is false")
		}
		mu.Do(func() { ready = true })
		if !<-got {
			t.Error("f ran with cond false")
		}
		synctest.Wait()
		if err := lockx.Idle(&mu); err != nil {
			t.Error(err)
		}
	})
}

// TestDoWhenReevaluated: every kind of critical section that may change
// the state makes a waiting cond run again, once; one that cannot (a cond
// that is false, a wait given up, a reader) does not.
func TestDoWhenReevaluated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu     lockx.Mutex
			g      lockx.Guarded[int]
			evals  atomic.Int32 // of the Mutex waiter's cond
			gEvals atomic.Int32 // of the Guarded waiter's cond
			stop   bool
		)
		go mu.DoWhen(context.Background(), func() bool { evals.Add(1); return stop }, func() {})
		go g.DoWhen(context.Background(), func(v *int) bool { gEvals.Add(1); return *v < 0 }, func(*int) {})
		synctest.Wait()
		expect := func(what string, want, gWant int32) {
			t.Helper()
			synctest.Wait()
			if n, gn := evals.Load(), gEvals.Load(); n != want || gn != gWant {
				t.Errorf("after %s: cond evaluated %d and %d times, want %d and %d", what, n, gn, want, gWant)
			}
		}
		expect("start", 1, 1)

		// A second waiter's false cond is no change, so the two do not
		// wake each other back and forth.
		other := 0
		go mu.DoWhen(context.Background(), func() bool { other++; return stop }, func() {})
		go g.DoWhen(context.Background(), func(v *int) bool { return *v < 0 }, func(*int) {})
		expect("another waiter", 1, 1)

		mu.Do(func() {})
		g.Do(func(*int) {})
		expect("Do", 2, 2)
		mu.DoContext(t.Context(), func() {})
		g.DoContext(t.Context(), func(*int) {})
		expect("DoContext", 3, 3)
		mu.TryDo(func() {})
		expect("TryDo", 4, 3)
		mu.DoWhen(t.Context(), func() bool { return true }, func() {})
		g.DoWhen(t.Context(), func(*int) bool { return true }, func(*int) {})
		expect("DoWhen", 5, 4)
		testenv.PanicValue(func() { mu.Do(func() { panic("x") }) })
		testenv.PanicValue(func() { g.Do(func(*int) { panic("x") }) })
		expect("a panicking Do", 6, 5)
		g.RDo(func(*int) {})
		g.RDoContext(t.Context(), func(*int) {})
		expect("RDo", 6, 5)

		mu.Do(func() { stop = true })
		g.Do(func(v *int) { *v = -1 })
		synctest.Wait()
		if other != 7 {
			t.Errorf("the second waiter's cond ran %d times, want 7", other)
		}
		for _, err := range []error{lockx.Idle(&mu), lockx.GuardedIdle(&g)} {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

// TestDoWhenEveryWaiterWoken: one change wakes every waiter, and each
// whose cond then holds runs, whatever order they win the lock in.
func TestDoWhenEveryWaiterWoken(t *testing.T) {
	for _, tickets := range []int{1, 3} {
		t.Run(fmt.Sprint(tickets, " at a time"), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := lockx.NewGuarded(0)
				ran := make([]bool, 3)
				var wg sync.WaitGroup
				for i := range 3 {
					wg.Go(func() {
						g.DoWhen(context.Background(),
							func(n *int) bool { return *n > 0 },
							func(n *int) { *n--; ran[i] = true })
					})
				}
				synctest.Wait()
				for k := range 3 / tickets {
					g.Do(func(n *int) { *n += tickets })
					synctest.Wait()
					if got := lockx.GuardedAwaiting(g); got != 3-(k+1)*tickets {
						t.Fatalf("after %d tickets, %d waiting, want %d", (k+1)*tickets, got, 3-(k+1)*tickets)
					}
				}
				wg.Wait()
				if fmt.Sprint(ran) != "[true true true]" {
					t.Errorf("ran = %v", ran)
				}
			})
		})
	}
}

// TestDoWhenNotStarved: a waiter whose cond holds gets the lock and runs
// even while other goroutines take the lock back to back, each a change
// that wakes it again: a woken waiter that loses the lock is handed it
// soon, as any waiter for the lock is.
func TestDoWhenNotStarved(t *testing.T) {
	for range 20 {
		var (
			g    = lockx.NewGuarded(0)
			stop atomic.Bool
			wg   sync.WaitGroup
		)
		for range 3 {
			wg.Go(func() {
				for !stop.Load() {
					g.Do(func(n *int) { *n++ })
				}
			})
		}
		waiters := 4
		var done sync.WaitGroup
		for range waiters {
			done.Go(func() {
				err := g.DoWhen(context.Background(), func(n *int) bool { return *n > 100 }, func(n *int) {})
				if err != nil {
					t.Error(err)
				}
			})
		}
		waitBounded(t, &done, 30*time.Second)
		stop.Store(true)
		wg.Wait()
		if err := lockx.GuardedIdle(g); err != nil {
			t.Error(err)
		}
	}
}

// TestDoWhenChangesWhileWoken: changes that come while waiters are woken
// by an earlier one, but have not looked yet, are not lost: those waiters
// look after them, and a waiter whose cond is still false waits for the
// next change; and no waiter looks twice for one change.
func TestDoWhenChangesWhileWoken(t *testing.T) {
	for _, changes := range []int{2, 5} {
		t.Run(fmt.Sprint(changes, " changes"), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := lockx.NewGuarded(0)
				var (
					evals [3]atomic.Int32
					ran   [3]atomic.Bool
					wg    sync.WaitGroup
				)
				want := [3]int{1000, changes, changes} // the first waiter's cond stays false
				for i := range 3 {
					wg.Go(func() {
						g.DoWhen(context.Background(),
							func(n *int) bool { evals[i].Add(1); return *n >= want[i] },
							func(*int) { ran[i].Store(true) })
					})
					synctest.Wait()
				}
				// Back to back: the first release wakes every waiter, and the
				// next ones most often find none of them back yet.
				for range changes {
					g.Do(func(n *int) { *n++ })
				}
				synctest.Wait()
				if ran[0].Load() || !ran[1].Load() || !ran[2].Load() {
					t.Errorf("after the changes, ran = %v %v %v, want false true true", ran[0].Load(), ran[1].Load(), ran[2].Load())
				}
				for i := range 3 {
					// One look at the start, and at most one for each change:
					// the Dos, and the fs of the other waiters that ran.
					most := int32(1 + changes + 1)
					if i == 0 {
						most++
					}
					if n := evals[i].Load(); n < 2 || n > most {
						t.Errorf("waiter %d: cond evaluated %d times, want 2 to %d", i, n, most)
					}
				}
				g.Do(func(n *int) { *n = want[0] })
				wg.Wait()
				if err := lockx.GuardedIdle(g); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestDoWhenCancel: a DoWhen given up, while asleep for a change or while
// queued for the lock after one, returns ctx.Err(), runs no f, and leaves
// nothing behind.
func TestDoWhenCancel(t *testing.T) {
	t.Run("awaiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var mu lockx.Mutex
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			err := mu.DoWhen(ctx, func() bool { return false }, func() { t.Error("f ran") })
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Hour {
				t.Errorf("DoWhen = %v after %v, want DeadlineExceeded after 1h", err, time.Since(start))
			}
			if err := lockx.Idle(&mu); err != nil {
				t.Error(err)
			}
		})
	})
	// A waiter that gives up after a change woke it, asleep in the lock's
	// queue or about to compete for the lock, leaves nothing behind, and
	// the waiters beside it carry on.
	t.Run("out after a change", func(t *testing.T) {
		for range 20 {
			synctest.Test(t, func(t *testing.T) {
				var (
					mu    lockx.Mutex
					ready bool
				)
				ctx, cancel := context.WithCancel(context.Background())
				errc := make(chan error)
				go func() { errc <- mu.DoWhen(ctx, func() bool { return false }, func() { t.Error("f ran") }) }()
				synctest.Wait()
				behind := make(chan error)
				go func() { behind <- mu.DoWhen(context.Background(), func() bool { return ready }, func() {}) }()
				synctest.Wait()
				release1, release2 := make(chan struct{}), make(chan struct{})
				go mu.Do(func() { <-release1; ready = true })
				synctest.Wait()
				go mu.Do(func() { <-release2 })
				synctest.Wait()
				close(release1) // a change: the first waiter is out to look
				cancel()
				if err := <-errc; err != context.Canceled {
					t.Errorf("DoWhen = %v, want context.Canceled", err)
				}
				close(release2)
				if err := <-behind; err != nil {
					t.Errorf("the waiter behind: %v", err)
				}
				synctest.Wait()
				if err := lockx.Idle(&mu); err != nil {
					t.Error(err)
				}
			})
		}
	})
	t.Run("ended before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var mu lockx.Mutex
		cond := func() bool { t.Error("cond ran after ctx ended"); return true }
		if err := mu.DoWhen(ctx, cond, func() { t.Error("f ran") }); err != context.Canceled {
			t.Errorf("DoWhen = %v, want context.Canceled", err)
		}
	})
	t.Run("many", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := lockx.NewGuarded(0)
			ctx, cancel := context.WithCancel(context.Background())
			errs := make(chan error, 100)
			for range 100 {
				go func() { errs <- g.DoWhen(ctx, func(n *int) bool { return *n > 1 }, func(*int) {}) }()
			}
			synctest.Wait()
			g.Do(func(n *int) { *n = 1 }) // a change that satisfies nobody
			go cancel()
			g.Do(func(n *int) { *n = 1 }) // and one racing the give-ups
			for range 100 {
				if err := <-errs; err != context.Canceled {
					t.Fatalf("DoWhen = %v, want context.Canceled", err)
				}
			}
			if err := lockx.GuardedIdle(g); err != nil {
				t.Error(err)
			}
		})
	})
}

// TestDoWhenCancelBeside: waits whose context can end and waits whose
// context cannot sleep apart; a give-up of one kind leaves the other kind
// waiting for the next change, and that change wakes it.
func TestDoWhenCancelBeside(t *testing.T) {
	for _, forever := range []int{1, 3} {
		t.Run(fmt.Sprint(forever, " forever"), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := lockx.NewGuarded(0)
				var wg sync.WaitGroup
				for range forever {
					wg.Go(func() {
						err := g.DoWhen(context.WithoutCancel(t.Context()), func(n *int) bool { return *n > 0 }, func(*int) {})
						if err != nil {
							t.Error(err)
						}
					})
				}
				ctx, cancel := context.WithCancel(context.Background())
				errc := make(chan error)
				go func() { errc <- g.DoWhen(ctx, func(n *int) bool { return *n > 0 }, func(*int) { t.Error("f ran") }) }()
				synctest.Wait()
				if n := lockx.GuardedAwaiting(g); n != forever+1 {
					t.Fatalf("%d awaiting, want %d", n, forever+1)
				}
				cancel()
				if err := <-errc; err != context.Canceled {
					t.Errorf("DoWhen = %v, want context.Canceled", err)
				}
				if n := lockx.GuardedAwaiting(g); n != forever {
					t.Fatalf("%d awaiting after the give-up, want %d", n, forever)
				}
				g.Do(func(n *int) { *n = forever })
				wg.Wait() // a lost wake-up is a deadlock synctest reports
				if err := lockx.GuardedIdle(g); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestDoWhenPanics: a panic in cond or f, or a runtime.Goexit in cond (a
// t.FailNow), reaches only DoWhen's own caller, after the lock is released;
// the other waiters carry on.
func TestDoWhenPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu   lockx.Mutex
			n    int
			done = make(chan struct{})
		)
		go func() {
			defer close(done)
			if err := mu.DoWhen(context.Background(), func() bool { return n >= 3 }, func() {}); err != nil {
				t.Error(err)
			}
		}()
		synctest.Wait()
		want := &boom{2}
		waitThenPanic := func(cond func() bool, f func()) any {
			var v any
			exited := make(chan struct{})
			go func() {
				defer close(exited)
				v = testenv.PanicValue(func() { mu.DoWhen(context.Background(), cond, f) })
			}()
			synctest.Wait()
			mu.Do(func() { n++ })
			<-exited
			return v
		}
		if got := waitThenPanic(func() bool {
			if n > 0 {
				panic(want)
			}
			return false
		}, func() {}); got != want {
			t.Errorf("a panic in cond: recovered %v, want %v", got, want)
		}
		if got := waitThenPanic(func() bool { return n > 1 }, func() { panic(want) }); got != want {
			t.Errorf("a panic in f: recovered %v, want %v", got, want)
		}
		if got := waitThenPanic(func() bool {
			if n > 2 {
				runtime.Goexit()
			}
			return false
		}, func() {}); got != nil {
			t.Errorf("a Goexit in cond: recovered %v", got)
		}
		<-done // the first waiter saw n reach 3
		synctest.Wait()
		if err := lockx.Idle(&mu); err != nil {
			t.Error(err)
		}
	})
}

// TestRWMutexDoWhen: an RWMutex's DoWhen is woken by writers, not readers,
// and excludes readers while cond and f run.
func TestRWMutexDoWhen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu      lockx.RWMutex
			v       int
			readers atomic.Int32
		)
		done := make(chan struct{})
		go func() {
			defer close(done)
			err := mu.DoWhen(context.Background(), func() bool {
				if readers.Load() != 0 {
					t.Error("cond ran beside a reader")
				}
				return v == 2
			}, func() { v = 3 })
			if err != nil {
				t.Error(err)
			}
		}()
		synctest.Wait()
		for i := range 2 {
			mu.RDo(func() { readers.Add(1); _ = v; readers.Add(-1) })
			mu.Do(func() { v = i + 1 })
		}
		<-done
		mu.RDo(func() {
			if v != 3 {
				t.Errorf("v = %d, want 3", v)
			}
		})
		if err := lockx.RWIdle(&mu); err != nil {
			t.Error(err)
		}
	})
}

// A queue is a bounded buffer of items, for the producer/consumer tests
// and benchmarks.
type queue struct {
	items []int
	done  bool // no more items will come
}

const queueCap = 8

func (q *queue) notFull() bool { return len(q.items) < queueCap }
func (q *queue) ready() bool   { return len(q.items) > 0 || q.done }
func (q *queue) push(item int) { q.items = append(q.items, item) }
func (q *queue) pop() (int, bool) {
	if len(q.items) == 0 {
		return 0, false
	}
	item := q.items[0]
	q.items = q.items[1:]
	return item, true
}

// TestProducerConsumerStress: producers and consumers share a bounded
// buffer through Guarded.DoWhen, with and without contexts that end at
// random moments, and readers peek with RDo. Every item must be consumed
// exactly once, and nobody may be left waiting: a lost wake-up fails
// waitBounded.
func TestProducerConsumerStress(t *testing.T) {
	const producers, consumers, perProducer = 6, 6, 400
	var (
		q        = lockx.NewGuarded(queue{})
		consumed [producers * perProducer]atomic.Int32
		left     atomic.Int32
		pwg, cwg sync.WaitGroup
	)
	left.Store(producers * perProducer)
	randomCtx := func(r *rand.Rand) (context.Context, context.CancelFunc) {
		switch r.IntN(4) {
		case 0:
			return context.WithTimeout(context.Background(), time.Duration(r.IntN(50))*time.Microsecond)
		case 1:
			ctx, cancel := context.WithCancel(context.Background())
			go cancel()
			return ctx, cancel
		}
		return context.Background(), func() {}
	}
	for p := range producers {
		pwg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(p), 3))
			for i := range perProducer {
				item := p*perProducer + i
				for {
					ctx, cancel := randomCtx(r)
					err := q.DoWhen(ctx, (*queue).notFull, func(q *queue) { q.push(item) })
					cancel()
					if err == nil {
						break
					}
				}
			}
		})
	}
	for c := range consumers {
		cwg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 4))
			for {
				ctx, cancel := randomCtx(r)
				var item int
				var got, done bool
				err := q.DoWhen(ctx, (*queue).ready, func(q *queue) {
					item, got = q.pop()
					done = q.done
				})
				cancel()
				if err != nil && got {
					t.Error("DoWhen returned an error after f ran")
				}
				if got {
					if n := consumed[item].Add(1); n != 1 {
						t.Errorf("item %d consumed %d times", item, n)
					}
					if left.Add(-1) == 0 {
						q.Do(func(q *queue) { q.done = true })
					}
				}
				if done {
					return
				}
				if c == 0 {
					q.RDo(func(q *queue) {
						if len(q.items) > queueCap {
							t.Errorf("%d items in a buffer of %d", len(q.items), queueCap)
						}
					})
				}
			}
		})
	}
	waitBounded(t, &pwg, 60*time.Second)
	waitBounded(t, &cwg, 60*time.Second)
	for i := range consumed {
		if n := consumed[i].Load(); n != 1 {
			t.Fatalf("item %d consumed %d times", i, n)
		}
	}
	if err := lockx.GuardedIdle(q); err != nil {
		t.Error(err)
	}
}

// TestMutexDoWhenStress is the stress test for Mutex.DoWhen, whose lock
// hand-off differs from RWMutex's: waiters woken after a change race
// newcomers for the lock.
func TestMutexDoWhenStress(t *testing.T) {
	const workers, rounds = 8, 300
	var (
		mu    lockx.Mutex
		turn  int // whose turn it is, round robin
		count int
		wg    sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for range rounds {
				err := mu.DoWhen(context.Background(), func() bool { return turn == w }, func() {
					count++
					turn = (turn + 1) % workers
				})
				if err != nil {
					t.Error(err)
				}
				if w%2 == 0 {
					mu.TryDo(func() {}) // a change of nothing, for the others to look again
				}
			}
		})
	}
	waitBounded(t, &wg, 60*time.Second)
	if count != workers*rounds {
		t.Errorf("count = %d, want %d", count, workers*rounds)
	}
	if err := lockx.Idle(&mu); err != nil {
		t.Error(err)
	}
}

// The producer/consumer benchmarks move b.N items from 4 producers to 4
// consumers through a buffer of queueCap: with DoWhen, and with the
// sync.Cond code it replaces (two conditions, a Signal after each change).
const benchProducers, benchConsumers = 4, 4

func BenchmarkDoWhenProducerConsumer(b *testing.B) {
	q := lockx.NewGuarded(queue{})
	ctx := context.Background()
	benchProducerConsumer(b,
		func(item int) { q.DoWhen(ctx, (*queue).notFull, func(q *queue) { q.push(item) }) },
		func() (done bool) {
			q.DoWhen(ctx, (*queue).ready, func(q *queue) {
				_, ok := q.pop()
				done = !ok
			})
			return done
		},
		func() { q.Do(func(q *queue) { q.done = true }) })
}

func BenchmarkProducerConsumerSyncCond(b *testing.B) {
	var q struct {
		mu                sync.Mutex
		nonEmpty, nonFull sync.Cond
		queue
	}
	q.nonEmpty.L, q.nonFull.L = &q.mu, &q.mu
	benchProducerConsumer(b,
		func(item int) {
			q.mu.Lock()
			for !q.notFull() {
				q.nonFull.Wait()
			}
			q.push(item)
			q.nonEmpty.Signal()
			q.mu.Unlock()
		},
		func() bool {
			q.mu.Lock()
			defer q.mu.Unlock()
			for !q.ready() {
				q.nonEmpty.Wait()
			}
			_, ok := q.pop()
			q.nonFull.Signal()
			return !ok
		},
		func() {
			q.mu.Lock()
			q.done = true
			q.nonEmpty.Broadcast()
			q.mu.Unlock()
		})
}

// BenchmarkProducerConsumerSyncCondBroadcast is the sync.Cond version with
// DoWhen's semantics: one condition variable for every waiter, and every
// change wakes them all to look again. It is what a sync.Cond user writes
// when the waiters wait for different things and a Signal could wake the
// wrong one.
func BenchmarkProducerConsumerSyncCondBroadcast(b *testing.B) {
	var q struct {
		mu      sync.Mutex
		changed sync.Cond
		queue
	}
	q.changed.L = &q.mu
	benchProducerConsumer(b,
		func(item int) {
			q.mu.Lock()
			for !q.notFull() {
				q.changed.Wait()
			}
			q.push(item)
			q.changed.Broadcast()
			q.mu.Unlock()
		},
		func() bool {
			q.mu.Lock()
			defer q.mu.Unlock()
			for !q.ready() {
				q.changed.Wait()
			}
			_, ok := q.pop()
			q.changed.Broadcast()
			return !ok
		},
		func() {
			q.mu.Lock()
			q.done = true
			q.changed.Broadcast()
			q.mu.Unlock()
		})
}

func benchProducerConsumer(b *testing.B, put func(int), take func() (done bool), finish func()) {
	b.ReportAllocs()
	var pwg, cwg sync.WaitGroup
	for range benchConsumers {
		cwg.Go(func() {
			for !take() {
			}
		})
	}
	b.ResetTimer()
	for p := range benchProducers {
		pwg.Go(func() {
			for i := p; i < b.N; i += benchProducers {
				put(i)
			}
		})
	}
	pwg.Wait()
	finish()
	cwg.Wait()
}

func BenchmarkMutexDoWhenProducerConsumer(b *testing.B) {
	var (
		mu lockx.Mutex
		q  queue
	)
	ctx := context.Background()
	benchProducerConsumer(b,
		func(item int) { mu.DoWhen(ctx, q.notFull, func() { q.push(item) }) },
		func() (done bool) {
			mu.DoWhen(ctx, q.ready, func() {
				_, ok := q.pop()
				done = !ok
			})
			return done
		},
		func() { mu.Do(func() { q.done = true }) })
}
