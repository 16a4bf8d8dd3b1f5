package errgroup_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/errgroup"
	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/testenv"
)

// childSelfWait is checked_test.go's code in a normal build: no panic, a
// hang that WaitContext bounds. It runs in a child process, since the
// task's Wait never returns.
func childSelfWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		g.Go(func() error { return g.Wait() })
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		err := g.WaitContext(ctx)
		var d *group.DriftError
		fmt.Println("no panic; WaitContext:", errors.As(err, &d), err)
		os.Exit(0) // the task is stuck for good: leave before the bubble's end reports it
	})
}

// TestSelfWaitHangsInNormalBuilds: normal builds pay nothing for the
// own-task check, and do not make it.
func TestSelfWaitHangsInNormalBuilds(t *testing.T) {
	if checkmode.On {
		t.Skip("checked mode panics instead: checked_test.go")
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}
	stdout, stderr, err := testenv.RunChild(t, "TestChild", "self-wait")
	if err != nil || !strings.Contains(stdout, "no panic; WaitContext: true group: gave up waiting with 1 pending") ||
		!strings.Contains(stdout, "selfwait_test.go:") {
		t.Errorf("child: %v\n%s%s", err, stdout, stderr)
	}
}
