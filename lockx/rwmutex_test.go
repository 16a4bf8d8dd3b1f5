package lockx_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/lockx"
)

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

// TestRWNoStarvation is TestNoStarvation for RWMutex: while goroutines
// hammer Do, a writer from outside the loops, and a reader, each still get
// the lock within a bound.
func TestRWNoStarvation(t *testing.T) {
	var (
		mu   lockx.RWMutex
		stop atomic.Bool
		wg   sync.WaitGroup
		n    int
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for !stop.Load() {
				mu.Do(func() { n++ })
			}
		})
	}
	rounds := 50
	if testing.Short() {
		rounds = 10
	}
	var worst time.Duration
	for i := range rounds {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var err error
		if i%2 == 0 {
			err = mu.DoContext(ctx, func() { n++ })
		} else {
			err = mu.RDoContext(ctx, func() { _ = n })
		}
		cancel()
		if err != nil {
			t.Errorf("round %d: starved: no lock after 2s of hammering (%v)", i, err)
			break
		}
		worst = max(worst, time.Since(start))
		time.Sleep(50 * time.Microsecond)
	}
	stop.Store(true)
	waitBounded(t, &wg, 10*time.Second)
	t.Logf("longest wait for the lock: %v", worst)
}
