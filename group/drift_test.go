package group_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
)

// line returns the line it is called from.
func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

// drift waits for g with a one-second timeout and returns the report.
func drift(t *testing.T, g *group.Group) *group.DriftError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := g.WaitContext(ctx)
	var d *group.DriftError
	if !errors.As(err, &d) {
		t.Fatalf("WaitContext = %v, want a *DriftError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitContext = %v, does not wrap context.DeadlineExceeded", err)
	}
	return d
}

// TestAddFiveDoneThree is the first pitfall: Add(5) with three Done. A
// WaitGroup would block forever; WaitContext says two are pending and names
// the line of the Add.
func TestAddFiveDoneThree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		g.Add(5)
		addLine := line() - 1
		for range 3 {
			go g.Done()
		}
		start := time.Now()
		d := drift(t, &g)
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("WaitContext gave up after %v, want 1s", waited)
		}
		if d.Pending != 2 {
			t.Errorf("Pending = %d, want 2", d.Pending)
		}
		if len(d.Adds) != 1 || len(d.Tasks) != 0 {
			t.Fatalf("Adds = %+v, Tasks = %+v, want one Add site", d.Adds, d.Tasks)
		}
		s := d.Adds[0]
		if filepath.Base(s.File) != "drift_test.go" || s.Line != addLine || s.Count != 2 {
			t.Errorf("Add site = %s:%d ×%d, want drift_test.go:%d ×2", s.File, s.Line, s.Count, addLine)
		}
		if !strings.HasSuffix(s.Func, "TestAddFiveDoneThree.func1") {
			t.Errorf("Add site Func = %q, want the test's function", s.Func)
		}
		want := fmt.Sprintf("group: gave up waiting with 2 pending (context deadline exceeded): 2 unmatched Add at %s:%d", s.File, addLine)
		if got := d.Error(); got != want {
			t.Errorf("Error() =\n%s\nwant\n%s", got, want)
		}
		// The report is a snapshot: the missing Dones still end the wait.
		g.Done()
		g.Done()
		g.Wait()
	})
}

// TestDriftNamesStuckTasks: a task that never returns is the other way a
// Wait hangs; the report names the line of its Go and its function.
func TestDriftNamesStuckTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		release := make(chan struct{})
		stuck := func() { <-release }
		for range 3 {
			g.Go(stuck) // every call is on this line; the report counts 3
		}
		goLine := line() - 2
		g.Go(func() { <-release })
		litLine := line() - 1
		g.Go(func() {}) // finishes: not reported
		g.Add(1)
		addLine := line() - 1
		synctest.Wait()

		d := drift(t, &g)
		if d.Pending != 5 {
			t.Errorf("Pending = %d, want 5", d.Pending)
		}
		type site struct {
			file        string
			line, count int
		}
		var tasks []site
		for _, s := range d.Tasks {
			tasks = append(tasks, site{filepath.Base(s.File), s.Line, s.Count})
		}
		want := []site{{"drift_test.go", goLine, 3}, {"drift_test.go", litLine, 1}}
		if fmt.Sprint(tasks) != fmt.Sprint(want) {
			t.Errorf("Tasks = %v, want %v", tasks, want)
		}
		if len(d.Tasks) == 2 && !strings.HasSuffix(d.Tasks[0].Func, "TestDriftNamesStuckTasks.func1.1") {
			t.Errorf("Tasks[0].Func = %q, want the stuck closure", d.Tasks[0].Func)
		}
		if len(d.Adds) != 1 || d.Adds[0].Line != addLine || d.Adds[0].Count != 1 {
			t.Errorf("Adds = %+v, want 1 at line %d", d.Adds, addLine)
		}
		msg := d.Error()
		for _, want := range []string{
			fmt.Sprintf("drift_test.go:%d", goLine),
			fmt.Sprintf("drift_test.go:%d", litLine),
			fmt.Sprintf("drift_test.go:%d", addLine),
			"3 running", "1 unmatched Add",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("Error() = %q, does not contain %q", msg, want)
			}
		}
		close(release)
		g.Done()
		g.Wait()
	})
}

// TestDriftSeveralAddSites: Dones are counted against the oldest Add line
// first, and the report says so.
func TestDriftSeveralAddSites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		var lines []int
		g.Add(2)
		lines = append(lines, line()-1)
		g.Add(1)
		lines = append(lines, line()-1)
		g.Add(3)
		lines = append(lines, line()-1)
		g.Add(1)
		lines = append(lines, line()-1)
		g.Add(4)
		lines = append(lines, line()-1)
		// 11 added; retire 4: the oldest line (2) and the next (1), then one
		// of the third (3).
		for range 4 {
			g.Done()
		}
		d := drift(t, &g)
		if d.Pending != 7 {
			t.Errorf("Pending = %d, want 7", d.Pending)
		}
		var got []string
		for _, s := range d.Adds {
			got = append(got, fmt.Sprintf("%d×%d", s.Line, s.Count))
		}
		want := []string{
			fmt.Sprintf("%d×2", lines[2]), fmt.Sprintf("%d×1", lines[3]), fmt.Sprintf("%d×4", lines[4]),
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Adds = %v, want %v", got, want)
		}
		if !strings.Contains(d.Error(), "oldest first") {
			t.Errorf("Error() = %q, does not say how Dones are attributed", d.Error())
		}
		g.Add(-7)
		g.Wait()
	})
}

type worker struct{ release chan struct{} }

func (w *worker) run() { <-w.release }

// TestDriftMethodValue: a task given as a method value is reported by the
// method's name at the line of its Go call.
func TestDriftMethodValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		w := &worker{release: make(chan struct{})}
		g.Go(w.run)
		goLine := line() - 1
		d := drift(t, &g)
		if len(d.Tasks) != 1 || d.Tasks[0].Line != goLine || !strings.HasSuffix(d.Tasks[0].Func, "group_test.(*worker).run") {
			t.Errorf("Tasks = %+v, want (*worker).run at line %d", d.Tasks, goLine)
		}
		close(w.release)
		g.Wait()
	})
}
