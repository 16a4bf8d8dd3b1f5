package lockx_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/testenv"
	"github.com/leakproof/leakproof/lockx"
)

// The stress tests here attack the one lock behind Mutex, RWMutex and
// Guarded with every kind of call at once, under GOMAXPROCS 1, 2 and 8,
// and check after every call what the docs promise: writers alone, readers
// never beside a writer, f run exactly once by a call that returned nil
// and never by one that returned an error, and, after each storm, a lock
// left with nothing queued and no flag set, that a plain Do takes at once.
// Each is bounded in iterations, not time, so that -race -count=20 stays
// quick; every wait is bounded by waitBounded.

// A stressLock is one of the three lock types seen through one set of
// operations. A nil func is an operation the type does not have.
type stressLock struct {
	name   string
	do     func(f func())
	doCtx  func(ctx context.Context, f func()) error
	tryDo  func(f func()) bool
	rdo    func(f func())
	rdoCtx func(ctx context.Context, f func()) error
	doWhen func(ctx context.Context, cond func() bool, f func()) error
	idle   func() error
}

// stressKinds are the lock types, as newStressLock takes them.
var stressKinds = []string{"Mutex", "RWMutex", "Guarded"}

// newStressLock returns a fresh lock of the named type.
func newStressLock(kind string) stressLock {
	switch kind {
	case "Mutex":
		var mu lockx.Mutex
		return stressLock{
			name: kind, do: mu.Do, doCtx: mu.DoContext, tryDo: mu.TryDo, doWhen: mu.DoWhen,
			idle: func() error { return lockx.Idle(&mu) },
		}
	case "RWMutex":
		var rw lockx.RWMutex
		return stressLock{
			name: kind, do: rw.Do, doCtx: rw.DoContext, rdo: rw.RDo, rdoCtx: rw.RDoContext, doWhen: rw.DoWhen,
			idle: func() error { return lockx.RWIdle(&rw) },
		}
	}
	g := lockx.NewGuarded(0)
	return stressLock{
		name: kind,
		do:   func(f func()) { g.Do(func(*int) { f() }) },
		doCtx: func(ctx context.Context, f func()) error {
			return g.DoContext(ctx, func(*int) { f() })
		},
		rdo: func(f func()) { g.RDo(func(*int) { f() }) },
		rdoCtx: func(ctx context.Context, f func()) error {
			return g.RDoContext(ctx, func(*int) { f() })
		},
		doWhen: func(ctx context.Context, cond func() bool, f func()) error {
			return g.DoWhen(ctx, func(*int) bool { return cond() }, func(*int) { f() })
		},
		idle: func() error { return lockx.GuardedIdle(g) },
	}
}

// An exclusion watches critical sections for overlap. n is the state the
// lock guards: writers change it, readers and conds read it, all without
// atomics, so that the race detector checks that the lock orders them.
type exclusion struct {
	t                testing.TB
	writers, readers atomic.Int32
	n                int
	wrote            atomic.Int64 // exclusive sections that changed n
}

func (x *exclusion) write(hold int) {
	if w := x.writers.Add(1); w != 1 {
		x.t.Errorf("%d writers inside at once", w)
	}
	if r := x.readers.Load(); r != 0 {
		x.t.Errorf("a writer inside with %d readers", r)
	}
	x.n++
	busy(hold)
	x.wrote.Add(1)
	x.writers.Add(-1)
}

func (x *exclusion) read(hold int) {
	x.readers.Add(1)
	if w := x.writers.Load(); w != 0 {
		x.t.Errorf("a reader inside with %d writers", w)
	}
	_ = x.n
	busy(hold)
	x.readers.Add(-1)
}

// alone checks, from a cond, that the lock is held exclusively by its
// caller: a cond is a critical section too, though it writes nothing.
func (x *exclusion) alone() {
	if w, r := x.writers.Load(), x.readers.Load(); w != 0 || r != 0 {
		x.t.Errorf("a cond ran beside %d writers and %d readers", w, r)
	}
}

// A cancelPool holds the cancel funcs of contexts that calls are waiting
// with, for critical sections to call: a ctx cancelled from inside a
// critical section is cancelled while its call is spinning or queued for
// the lock, the moment most likely to strand a waiter.
type cancelPool [8]atomic.Pointer[context.CancelFunc]

func (p *cancelPool) cancelOne(r *rand.Rand) {
	if c := p[r.IntN(len(p))].Load(); c != nil {
		(*c)()
	}
}

// stressCtx is one way a call's context can end, or not.
type stressCtx int

const (
	ctxNever      stressCtx = iota // context.Background()
	ctxEnded                       // cancelled before the call
	ctxFromInside                  // cancelled by some critical section, while the call waits
	ctxRacing                      // cancelled by another goroutine at a random moment
	ctxTimeout                     // a deadline a few microseconds away
	numStressCtx
)

// newStressCtx returns a context of kind k and what to call once the call
// has returned.
func newStressCtx(r *rand.Rand, k stressCtx, pool *cancelPool) (context.Context, func()) {
	switch k {
	case ctxEnded:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	case ctxFromInside:
		ctx, cancel := context.WithCancel(context.Background())
		slot := &pool[r.IntN(len(pool))]
		p := &cancel
		slot.Store(p)
		return ctx, func() {
			slot.CompareAndSwap(p, nil)
			cancel()
		}
	case ctxRacing:
		ctx, cancel := context.WithCancel(context.Background())
		go cancel()
		return ctx, cancel
	case ctxTimeout:
		return context.WithTimeout(context.Background(), time.Duration(r.IntN(20))*time.Microsecond)
	}
	return context.Background(), func() {}
}

// checkCall checks what a call that takes ctx returned: nil after running f
// once, or ctx's own error without running f.
func checkCall(t testing.TB, op string, ctx context.Context, k stressCtx, err error, ran int) {
	t.Helper()
	switch {
	case err == nil && ran != 1:
		t.Errorf("%s returned nil after running f %d times", op, ran)
	case err != nil && ran != 0:
		t.Errorf("%s returned %v after running f %d times", op, err, ran)
	case err != nil && err != ctx.Err():
		t.Errorf("%s returned %v, but its ctx says %v", op, err, ctx.Err())
	case k == ctxNever && err != nil:
		t.Errorf("%s returned %v for a ctx that never ends", op, err)
	case k == ctxEnded && err == nil:
		t.Errorf("%s ran f though its ctx had ended before the call", op)
	}
}

// stressOps runs ops random operations on l from one goroutine.
func stressOps(t testing.TB, l stressLock, x *exclusion, pool *cancelPool, r *rand.Rand, ops int) {
	boomed := &boom{}
	for range ops {
		hold := holdFor(r)
		k := stressCtx(r.IntN(int(numStressCtx)))
		write := func() {
			x.write(hold)
			if r.IntN(4) == 0 {
				pool.cancelOne(r)
			}
		}
		ran := 0
		switch op := r.IntN(10); {
		case op == 0:
			l.do(func() { ran++; write() })
			if ran != 1 {
				t.Errorf("Do ran f %d times", ran)
			}
		case op == 1 && l.rdo != nil:
			l.rdo(func() { ran++; x.read(hold) })
			if ran != 1 {
				t.Errorf("RDo ran f %d times", ran)
			}
		case op == 2 && l.tryDo != nil:
			if ok := l.tryDo(func() { ran++; write() }); ok != (ran == 1) || ran > 1 {
				t.Errorf("TryDo = %v after running f %d times", ok, ran)
			}
		case op == 3 && l.rdoCtx != nil:
			ctx, done := newStressCtx(r, k, pool)
			err := l.rdoCtx(ctx, func() { ran++; x.read(hold) })
			done()
			checkCall(t, l.name+".RDoContext", ctx, k, err, ran)
		case op == 4:
			// A panic in f reaches the caller as itself, after the lock is
			// released; the next calls find the lock free.
			v := testenv.PanicValue(func() { l.do(func() { ran++; write(); panic(boomed) }) })
			if v != boomed || ran != 1 {
				t.Errorf("Do with a panicking f: recovered %v after %d runs", v, ran)
			}
		case op == 5 && r.IntN(8) == 0:
			// runtime.Goexit in f (t.FailNow in a critical section) ends
			// the goroutine and must still release the lock.
			exited := make(chan struct{})
			go func() {
				defer close(exited)
				l.do(func() { write(); runtime.Goexit() })
			}()
			<-exited
		case op == 6 || op == 7:
			// A DoWhen for one of the next few values of n: some writer
			// will make it true unless everyone else stops, so every ctx
			// gets a deadline too.
			ctx, done := newStressCtx(r, k, pool)
			ctx, stop := context.WithTimeout(ctx, time.Millisecond)
			if k == ctxNever {
				k = ctxTimeout
			}
			want := r.IntN(3)
			cond := func() bool { x.alone(); return x.n%3 == want }
			err := l.doWhen(ctx, cond, func() {
				ran++
				if x.n%3 != want {
					t.Errorf("DoWhen ran f with n %% 3 = %d, cond wanted %d", x.n%3, want)
				}
				write()
			})
			stop()
			done()
			checkCall(t, l.name+".DoWhen", ctx, k, err, ran)
		case op == 8 && r.IntN(4) == 0:
			// A cond that panics once true: the panic reaches this caller
			// only, after the lock is released.
			ctx, done := newStressCtx(r, ctxTimeout, pool)
			want := r.IntN(3)
			var err error
			v := testenv.PanicValue(func() {
				err = l.doWhen(ctx, func() bool {
					if x.n%3 == want {
						panic(boomed)
					}
					return false
				}, func() { ran++ })
			})
			done()
			if ran != 0 || v != boomed && (v != nil || err != ctx.Err() || err == nil) {
				t.Errorf("DoWhen with a panicking cond: recovered %v, returned %v, f ran %d times", v, err, ran)
			}
		default:
			ctx, done := newStressCtx(r, k, pool)
			err := l.doCtx(ctx, func() { ran++; write() })
			done()
			checkCall(t, l.name+".DoContext", ctx, k, err, ran)
		}
	}
}

// checkSettled fails t unless l has nothing queued and no flag set, and a
// plain Do takes it promptly: after a storm, no waiter may be stranded.
func checkSettled(t *testing.T, l stressLock) {
	t.Helper()
	if err := l.idle(); err != nil {
		t.Fatalf("after the storm: %v", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { l.do(func() {}) })
	waitBounded(t, &wg, 10*time.Second)
	if l.rdo != nil {
		wg.Go(func() { l.rdo(func() {}) })
		waitBounded(t, &wg, 10*time.Second)
	}
	if err := l.idle(); err != nil {
		t.Fatalf("after a Do on the settled lock: %v", err)
	}
}

// TestStressEveryMix runs 4×GOMAXPROCS goroutines of random operations,
// contexts and panics on each lock type, under GOMAXPROCS 1, 2 and 8, a
// few storms each, and checks every call and the lock after each storm.
func TestStressEveryMix(t *testing.T) {
	const rounds = 2
	opsPerRound := 8000
	if checkmode.On { // checked mode costs microseconds per call; so does -race
		opsPerRound = 1200
	}
	for _, procs := range []int{1, 2, 8} {
		for _, kind := range stressKinds {
			t.Run(fmt.Sprintf("%s/GOMAXPROCS=%d", kind, procs), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				l := newStressLock(kind)
				x := &exclusion{t: t}
				var pool cancelPool
				goroutines := 4 * procs
				for round := range rounds {
					var wg sync.WaitGroup
					for g := range goroutines {
						wg.Go(func() {
							r := rand.New(rand.NewPCG(uint64(procs), uint64(round*100+g)))
							stressOps(t, l, x, &pool, r, opsPerRound/goroutines)
						})
					}
					waitBounded(t, &wg, time.Minute)
					checkSettled(t, l)
					l.do(func() {
						if int64(x.n) != x.wrote.Load() {
							t.Errorf("n = %d after %d writes", x.n, x.wrote.Load())
						}
					})
				}
			})
		}
	}
}
