package errgroup_test

// This file is the "before" of the README's errgroup section: the same
// code as example_test.go's, on golang.org/x/sync/errgroup (imports are
// per file). What it does to a process is shown in a child process.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leakproof/leakproof/internal/testenv"
)

// README: errgroup panic before
func profile(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("id")
	g, ctx := errgroup.WithContext(r.Context())
	var name, lastOrder string
	g.Go(func() (err error) {
		name, err = lookupName(ctx, id)
		return err
	})
	g.Go(func() (err error) {
		lastOrder, err = lookupLastOrder(ctx, id)
		return err
	})
	if err := g.Wait(); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	fmt.Fprintln(w, name, lastOrder)
}

// README: end

// README: errgroup hang before
func countLines(ctx context.Context, docs []string) (int, error) {
	g, ctx := errgroup.WithContext(ctx)
	lines := make(chan string)
	g.Go(func() error {
		defer close(lines)
		for _, doc := range docs {
			if err := ctx.Err(); err != nil {
				return err
			}
			for l := range strings.Lines(doc) {
				lines <- l // blocks forever once the counter has returned
			}
		}
		return nil
	})
	n := 0
	g.Go(func() error {
		for l := range lines {
			if strings.TrimSpace(l) == "" {
				return errBlankLine // stops receiving
			}
			n++
		}
		return nil
	})
	err := g.Wait() // never returns after an error: the sender is stuck
	return n, err
}

// README: end

// TestChild does, in a child process, what would leak or crash the test
// binary; in a normal run it does nothing.
func TestChild(t *testing.T) {
	switch mode := testenv.ChildMode(); mode {
	case "":
		t.Skip("runs only as a child")
	case "self-wait":
		childSelfWait(t)
	default:
		childBefore(t, mode)
	}
}

// childBefore runs the x/sync versions where they crash or hang for good.
//
//leakvet:ignore fanout the x/sync version hangs on purpose; the child exits without waiting for it
func childBefore(t *testing.T, mode string) {
	switch mode {
	case "panic-before":
		srv := httptest.NewServer(http.HandlerFunc(profile))
		resp, err := http.Get(srv.URL + "/?id=" + noOrders)
		fmt.Println("the server survived:", resp, err) // not reached: the task's panic ends the process
	case "hang-before":
		synctest.Test(t, func(t *testing.T) {
			done := make(chan error)
			go func() {
				_, err := countLines(context.Background(), docs)
				done <- err
			}()
			select {
			case err := <-done:
				fmt.Println("countLines returned:", err)
			case <-time.After(time.Hour):
				fmt.Println("countLines still waiting after an hour")
			}
			os.Exit(0) // its goroutines are stuck for good
		})
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
}

// TestBeforePanicCrashes: with x/sync, a task's panic ends the process
// from the task's goroutine, where net/http's recover for the handler
// cannot reach: one bad request takes the server down.
func TestBeforePanicCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	stdout, stderr, err := testenv.RunChild(t, "TestChild", "panic-before")
	// stdout may still say the server survived: x/sync's deferred done runs
	// as the panic unwinds, so the handler can answer before the process
	// dies. The exit status and the panic on stderr are what prove it.
	if err == nil || !strings.Contains(stderr, "panic: runtime error: index out of range") {
		t.Errorf("child: %v, want it to die of the task's panic; stdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
}

// TestBeforeWaitHangs: with x/sync, the Wait never returns.
func TestBeforeWaitHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	stdout, stderr, err := testenv.RunChild(t, "TestChild", "hang-before")
	if err != nil || !strings.Contains(stdout, "countLines still waiting after an hour") {
		t.Errorf("child: %v\n%s%s", err, stdout, stderr)
	}
}
