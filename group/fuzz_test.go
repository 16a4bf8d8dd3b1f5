package group_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/testenv"
)

// FuzzGroup drives random sequences of Add, Done, Go and short WaitContext
// calls against a model that is two plain counters: Adds not yet matched
// by Done, and tasks not yet returned. The group must panic exactly when
// the model says Done (or a negative Add) outran Add, and every report's
// Pending must match the model. Each input runs in a synctest bubble, so a
// wait that never ends fails at once as a deadlock, and the short
// WaitContext timeouts cost no real time.
//
// Each byte is one operation: the low three bits choose it, the rest is its
// argument.
func FuzzGroup(f *testing.F) {
	f.Add([]byte{0x08, 0x01, 0x01, 0x01, 0x04})             // Add(1), Done ×3: the third panics
	f.Add([]byte{0x28, 0x01, 0x01, 0x01, 0x04, 0x01, 0x01}) // Add(5), Done ×3: 2 pending; then the rest
	f.Add([]byte{0x02, 0x02, 0x04, 0x03, 0x04, 0x03, 0x04}) // two stuck tasks, released one by one
	f.Add([]byte{0x10, 0x02, 0x18, 0x04, 0x00, 0x04, 0x01}) // Add(-1) below zero, a task, Add(2)
	f.Add([]byte{0x05, 0x02, 0x05, 0x01, 0x0a, 0x04, 0x06, 0x03, 0x04})
	f.Add([]byte{0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x04, 0x10, 0x11, 0x12})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		synctest.Test(t, func(t *testing.T) {
			runOps(t, ops)
		})
	})
}

func runOps(t *testing.T, ops []byte) {
	var (
		g        group.Group
		adds     int             // the model: Adds not matched by Done
		released []chan struct{} // one per running task, oldest first
	)
	for i, op := range ops {
		arg := int(op >> 3)
		switch op & 7 {
		case 0, 7: // Add(delta) with delta in -2..3
			delta := arg%6 - 2
			v := testenv.PanicValue(func() { g.Add(delta) })
			if outran := adds+delta < 0; outran != (v != nil) {
				t.Fatalf("op %d: Add(%d) with %d pending: panic = %v, model says outran = %v", i, delta, adds, v, outran)
			}
			if v == nil {
				adds += delta
			}
		case 1: // Done
			v := testenv.PanicValue(func() { g.Done() })
			if outran := adds == 0; outran != (v != nil) {
				t.Fatalf("op %d: Done with %d pending: panic = %v, model says outran = %v", i, adds, v, outran)
			}
			if v != nil && !strings.Contains(v.(string), "Done outran Add") {
				t.Fatalf("op %d: Done panicked with %v", i, v)
			}
			if v == nil {
				adds--
			}
		case 2: // Go: a task that runs until released
			c := make(chan struct{})
			released = append(released, c)
			if arg%2 == 0 {
				g.Go(func() { <-c })
			} else if !g.TryGo(func() { <-c }) {
				t.Fatalf("op %d: TryGo failed with no limit", i)
			}
		case 3: // release the oldest task and let it end
			if len(released) > 0 {
				close(released[0])
				released = released[1:]
				synctest.Wait()
			}
		case 4, 5: // a short WaitContext
			checkWait(t, i, &g, adds, len(released))
		case 6: // Go: a task that returns at once
			g.Go(func() {})
			synctest.Wait()
		}
	}
	checkWait(t, len(ops), &g, adds, len(released))
	for _, c := range released {
		close(c)
	}
	if adds > 0 {
		g.Add(-adds)
	}
	if err := g.WaitContext(context.Background()); err != nil {
		t.Fatalf("final WaitContext = %v", err)
	}
}

func checkWait(t *testing.T, op int, g *group.Group, adds, tasks int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	err := g.WaitContext(ctx)
	if adds+tasks == 0 {
		if err != nil {
			t.Fatalf("op %d: WaitContext = %v with nothing pending", op, err)
		}
		return
	}
	var d *group.DriftError
	if !errors.As(err, &d) {
		t.Fatalf("op %d: WaitContext = %v with %d pending, want a *DriftError", op, err, adds+tasks)
	}
	if d.Pending != adds+tasks {
		t.Fatalf("op %d: Pending = %d, model says %d Adds + %d tasks", op, d.Pending, adds, tasks)
	}
	if n := sum(d.Adds); n != adds {
		t.Fatalf("op %d: Add sites hold %d, model says %d: %v", op, n, adds, d)
	}
	if n := sum(d.Tasks); n != tasks {
		t.Fatalf("op %d: Go sites hold %d, model says %d: %v", op, n, tasks, d)
	}
}

func sum(sites []group.Site) int {
	n := 0
	for _, s := range sites {
		n += s.Count
	}
	return n
}
