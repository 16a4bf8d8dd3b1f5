package group_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/testenv"
)

// Hostile-review tests of the Group core: extremes of Add, drift reports
// through helpers and after storms.

// TestAddExtremes: Add(0) does nothing; deltas that would overflow or go
// below zero panic with the documented form and leave the Group as it was,
// and a drift report afterwards shows only the Adds that happened.
func TestAddExtremes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		g.Add(0)
		if err := g.WaitContext(context.Background()); err != nil {
			t.Fatalf("Add(0) left work pending: %v", err)
		}
		g.Add(1)
		addLine := line() - 1
		for _, delta := range []int{math.MaxInt, 1 << 32, math.MinInt, -2} {
			v := testenv.PanicValue(func() { g.Add(delta) })
			msg, _ := v.(string)
			var want string
			switch {
			case delta > 0:
				want = fmt.Sprintf("group: Group.Add: counter overflow adding %d", delta)
			default:
				want = fmt.Sprintf("group: Group.Add: Add(%d) at ", delta)
			}
			if !strings.HasPrefix(msg, want) {
				t.Errorf("Add(%d): panic %v, want it to start %q", delta, v, want)
			}
			if delta < 0 && !strings.Contains(msg, "adversarial_test.go:") {
				t.Errorf("Add(%d): panic %q does not name the caller's line", delta, msg)
			}
		}
		// The largest Add that fits, and its undoing, which is counted
		// against the oldest line first, as Done is: what is left is one
		// of the big Add's.
		g.Add(1<<32 - 2)
		bigLine := line() - 1
		if v := testenv.PanicValue(func() { g.Add(1) }); v == nil {
			t.Error("Add past 1<<32-1 pending did not panic")
		}
		g.Add(-(1<<32 - 2))
		d := drift(t, &g)
		if d.Pending != 1 || len(d.Adds) != 1 || d.Adds[0].Line != bigLine || d.Adds[0].Count != 1 || len(d.Tasks) != 0 {
			t.Errorf("report after the panics = %v, want only 1 Add at line %d (line %d's was retired first)", d, bigLine, addLine)
		}
		g.Done()
		if v := testenv.PanicValue(g.Done); v == nil || !strings.HasPrefix(v.(string), "group: Group.Done: Done outran Add: called at ") {
			t.Errorf("Done with nothing pending: panic %v", v)
		}
		g.Wait()
	})
}

// addVia is small enough to be inlined: the report must name its Add line.
var addViaLine = line() + 2

func addVia(g *group.Group, n int) { g.Add(n) }

// TestDriftThroughInlinedHelper: Add and Go reached through a helper are
// reported at the helper's line; a function started from two lines at the
// first.
func TestDriftThroughInlinedHelper(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		release := make(chan struct{})
		addVia(&g, 3)
		wait := func() { <-release }
		g.Go(wait)
		goLine := line() - 1
		g.Go(wait)
		g.Go(func() {
			g.Go(wait) // the same function from another line, in a task
		})
		synctest.Wait()
		d := drift(t, &g)
		if len(d.Adds) != 1 || d.Adds[0].Line != addViaLine || d.Adds[0].Count != 3 {
			t.Errorf("Adds = %+v, want 3 at line %d", d.Adds, addViaLine)
		}
		if len(d.Tasks) != 1 || d.Tasks[0].Line != goLine || d.Tasks[0].Count != 3 || filepath.Base(d.Tasks[0].File) != "adversarial_test.go" {
			t.Errorf("Tasks = %+v, want 3 at line %d", d.Tasks, goLine)
		}
		if d.Pending != 6 {
			t.Errorf("Pending = %d, want 6", d.Pending)
		}
		close(release)
		g.Add(-3)
		g.Wait()
	})
}

// TestDriftStormSites: Adds of several sizes from several lines, negative
// Adds and Dones, tasks of several functions, and WaitContexts that give
// up, all at once; once all is done the site counts must be back to zero,
// so a fresh Add and a fresh task of each function are reported exactly.
func TestDriftStormSites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // the bound on a hang
	defer cancel()
	var g group.Group
	f1 := func() {}
	f2 := func() { time.Sleep(time.Microsecond) }
	f3 := func() {}
	var workers sync.WaitGroup
	for w := range 6 {
		workers.Go(func() {
			for i := range 300 {
				switch (w + i) % 6 {
				case 0:
					g.Add(3)
					g.Add(-2)
					g.Done()
				case 1:
					g.Add(2)
					go func() { g.Done(); g.Add(-1) }()
				case 2:
					g.Go(f1)
				case 3:
					g.Go(f2)
				case 4:
					g.Go(f3)
				case 5:
					short, c := context.WithTimeout(ctx, time.Microsecond)
					var d *group.DriftError
					if err := g.WaitContext(short); errors.As(err, &d) {
						for _, s := range append(d.Adds, d.Tasks...) {
							if s.Count <= 0 {
								t.Errorf("report lists %s:%d with count %d", s.File, s.Line, s.Count)
							}
						}
					}
					c()
				}
			}
		})
	}
	workers.Wait()
	if err := g.WaitContext(ctx); err != nil {
		t.Fatalf("WaitContext after all work = %v", err)
	}
	release := make(chan struct{})
	g.Add(1)
	addLine := line() - 1
	for _, f := range []func(){f1, f2, f3} {
		g.Go(func() { <-release; f() })
	}
	goLine := line() - 2
	short, c := context.WithTimeout(ctx, time.Millisecond)
	defer c()
	var d *group.DriftError
	if !errors.As(g.WaitContext(short), &d) {
		t.Fatal("no report")
	}
	// The Adds are not checked exactly here: a Done can still be retiring
	// its line after the Wait it released has returned (see
	// TestDriftReportRightAfterWait).
	if d.Pending != 4 || len(d.Adds) == 0 || len(d.Tasks) != 1 || d.Tasks[0].Line != goLine || d.Tasks[0].Count != 3 {
		t.Errorf("report after the storm = %v\nwant 1 Add at line %d and 3 tasks at line %d", d, addLine, goLine)
	}
	close(release)
	g.Done()
	g.Wait()
}

// TestWaitContextEndedCtxNothingPending: an ended ctx with nothing pending
// is not a give-up: nil, and the group's context ends as with Wait.
func TestWaitContextEndedCtxNothingPending(t *testing.T) {
	g, gctx := group.WithContext(context.Background())
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.WaitContext(ended); err != nil || gctx.Err() == nil {
		t.Errorf("WaitContext = %v, group ctx %v; want nil and ended", err, gctx.Err())
	}
}

// TestDriftReportRightAfterWait: once Wait has returned, every Done has
// been counted, so a report on a fresh Add must name that Add alone. But
// Done takes its unit off the state word (which lets Wait return) before
// it takes it off the Add lines' counts, so a report made right after Wait
// can still list a line whose Adds were all matched, with counts that add
// up to more than Pending; or, when the late Done reaches the fresh line
// first, name the old line instead of the fresh one. It shows about once in
// a few hundred to a few thousand rounds, more under -race.
func TestDriftReportRightAfterWait(t *testing.T) {
	deadline := time.Now().Add(time.Second)
	for round := 0; time.Now().Before(deadline); round++ {
		var g group.Group
		g.Add(8)
		for range 8 {
			go g.Done()
		}
		g.Wait()
		g.Add(1)
		want := line() - 1
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		var d *group.DriftError
		errors.As(g.WaitContext(ctx), &d)
		cancel()
		if d == nil || len(d.Adds) != 1 || d.Adds[0].Line != want || d.Adds[0].Count != 1 {
			t.Fatalf("round %d: report = %v\nwant only 1 Add at line %d", round, d, want)
		}
		g.Done()
		g.Wait()
	}
}
