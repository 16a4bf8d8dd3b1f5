package group_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/testenv"
)

// TestChildSelfWait runs the code of checked_test.go's
// TestWaitFromOwnTaskPanics in a normal build, in a child process since
// the task's Wait never returns: no panic, a hang that WaitContext bounds.
func TestChildSelfWait(t *testing.T) {
	if testenv.ChildMode() != "self-wait" {
		t.Skip("runs only as a child of TestSelfWaitHangsInNormalBuilds")
	}
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		g.Go(func() { g.Wait() })
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		err := g.WaitContext(ctx)
		var d *group.DriftError
		fmt.Println("no panic; WaitContext:", errors.As(err, &d), err)
		os.Exit(0) // the task is stuck for good: leave before the bubble's end reports it
	})
}

// TestSelfWaitHangsInNormalBuilds: normal builds pay nothing for the own-task
// check, and do not make it: a Wait from a task hangs, and WaitContext's
// report names the task.
func TestSelfWaitHangsInNormalBuilds(t *testing.T) {
	if checkmode.On {
		t.Skip("checked mode panics instead: checked_test.go")
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	stdout, stderr, err := testenv.RunChild(t, "TestChildSelfWait", "self-wait")
	if err != nil || !strings.Contains(stdout, "no panic; WaitContext: true group: gave up waiting with 1 pending") ||
		!strings.Contains(stdout, "selfwait_test.go:") {
		t.Errorf("child: %v\n%s%s", err, stdout, stderr)
	}
}
