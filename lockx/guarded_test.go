package lockx_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/lockx"
)

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

func BenchmarkGuardedDo(b *testing.B) {
	g := lockx.NewGuarded(0)
	b.ReportAllocs()
	for b.Loop() {
		g.Do(func(v *int) { *v++ })
	}
}

// BenchmarkGuardedDoParallel contends for Guarded.Do with 8 goroutines on
// however many cores there are, more goroutines than cores, as a busy
// server has: a lock that hands itself to sleeping goroutines does badly
// here.
func BenchmarkGuardedDoParallel(b *testing.B) {
	g := lockx.NewGuarded(0)
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g.Do(func(v *int) { *v++ })
		}
	})
}

func BenchmarkGuardedDoParallelSyncMutex(b *testing.B) {
	var g struct {
		mu sync.Mutex
		v  int
	}
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			incLocked(&g.mu, &g.v)
		}
	})
}

func BenchmarkGuardedRDo(b *testing.B) {
	g := lockx.NewGuarded(0)
	s := 0
	b.ReportAllocs()
	for b.Loop() {
		g.RDo(func(v *int) { s += *v })
	}
	sink = s
}

// BenchmarkGuardedRDoSyncRWMutex is the hand-written read of a guarded
// value: RLock, defer RUnlock, beside the value.
func BenchmarkGuardedRDoSyncRWMutex(b *testing.B) {
	var g struct {
		mu sync.RWMutex
		v  int
	}
	s := 0
	b.ReportAllocs()
	for b.Loop() {
		s += readRLocked(&g.mu, &g.v)
	}
	sink = s
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

// TestGuardedRDo: readers share the value, and exclude writers: a writer
// waits for the readers inside, and a reader that gives up while a writer
// holds the lock leaves nothing behind.
func TestGuardedRDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := lockx.NewGuarded(map[string]int{"a": 1})
		in1, in2 := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { g.RDo(func(m *map[string]int) { close(in1); <-in2; _ = (*m)["a"] }) })
		wg.Go(func() {
			err := g.RDoContext(t.Context(), func(m *map[string]int) { close(in2); <-in1; _ = (*m)["a"] })
			if err != nil {
				t.Error(err)
			}
		})
		wg.Wait() // both readers were inside at once, or this deadlocks

		leave := make(chan struct{})
		go g.RDo(func(*map[string]int) { <-leave })
		synctest.Wait()
		wrote := make(chan struct{})
		go g.Do(func(m *map[string]int) { (*m)["a"] = 2; close(wrote) })
		synctest.Wait()
		select {
		case <-wrote:
			t.Fatal("a writer entered while a reader held the lock")
		default:
		}
		close(leave)
		<-wrote
		g.RDo(func(m *map[string]int) {
			if (*m)["a"] != 2 {
				t.Errorf("a reader after the writer saw %d, want 2", (*m)["a"])
			}
		})

		release := make(chan struct{})
		go g.Do(func(*map[string]int) { <-release })
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := g.RDoContext(ctx, func(*map[string]int) { t.Error("ran") }); err != context.DeadlineExceeded {
			t.Errorf("RDoContext = %v, want DeadlineExceeded", err)
		}
		close(release)
		synctest.Wait()
		if err := lockx.GuardedIdle(g); err != nil {
			t.Error(err)
		}
	})
}
