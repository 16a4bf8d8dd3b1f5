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
