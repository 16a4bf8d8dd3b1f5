package lockx

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
)

// TestRWAbandonRacesRelease is TestAbandonRacesRelease for RWMutex: a
// reader or writer whose context ends as a writer's release grants it the
// lock, with a reader or writer queued behind it.
func TestRWAbandonRacesRelease(t *testing.T) {
	for _, write := range []bool{false, true} {
		for _, behindWrite := range []bool{false, true} {
			t.Run(fmt.Sprintf("write=%v,behindWrite=%v", write, behindWrite), func(t *testing.T) {
				for range 50 {
					rwAbandonRacesRelease(t, write, behindWrite)
				}
			})
		}
	}
}

func rwAbandonRacesRelease(t *testing.T, write, behindWrite bool) {
	synctest.Test(t, func(t *testing.T) {
		var m RWMutex
		m.Do(func() {
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error)
			f := func() { t.Error("f ran after its context ended") }
			go func() {
				if write {
					errc <- m.DoContext(ctx, f)
				} else {
					errc <- m.RDoContext(ctx, f)
				}
			}()
			synctest.Wait()
			ranBehind := make(chan struct{})
			if behindWrite {
				go m.Do(func() { close(ranBehind) })
			} else {
				go m.RDo(func() { close(ranBehind) })
			}
			synctest.Wait()
			// Release the write lock by hand, as unlockSlow does, while
			// the context ends; then take it back for Do's own release.
			m.qmu.Lock()
			cancel()
			m.state.Add(-rwWriter)
			in := m.dispatch()
			m.qmu.Unlock()
			signalAll(in)
			if err := <-errc; err != context.Canceled {
				t.Errorf("got %v, want context.Canceled", err)
			}
			<-ranBehind
			synctest.Wait()
			m.qmu.Lock()
			if m.q.head != nil || !m.state.CompareAndSwap(0, rwWriter) {
				t.Errorf("lock not free after the waiters left: state %#x", m.state.Load())
			}
			m.qmu.Unlock()
		})
		if err := RWIdle(&m); err != nil {
			t.Error(err)
		}
	})
}
