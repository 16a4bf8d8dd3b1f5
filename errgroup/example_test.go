package errgroup_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/chanx"
	"github.com/leakproof/leakproof/errgroup"
	"github.com/leakproof/leakproof/group"
)

// The data behind the README's errgroup section, which leaks_test.go runs
// on x/sync and this file on leakproof.

const noOrders = "42" // a user with no orders yet

var errBlankLine = errors.New("blank line")

var docs = []string{"one\ntwo\n", "three\n\nfour\n", "five\nsix\n"}

func lookupName(ctx context.Context, id string) (string, error) {
	return "user" + id, ctx.Err()
}

func lookupLastOrder(ctx context.Context, id string) (string, error) {
	orders := map[string][]string{"7": {"book", "lamp"}}[id]
	return orders[len(orders)-1], ctx.Err() // panics for a user with no orders
}

// profileLeakproof is leaks_test.go's profile, with only the import changed.
func profileLeakproof(w http.ResponseWriter, r *http.Request) {
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

// TestAfterPanicFailsOneRequest: Wait re-raises the task's panic in the
// handler's goroutine, where net/http recovers it: that request fails, its
// log line has the task's stack, and the server keeps serving.
func TestAfterPanicFailsOneRequest(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(profileLeakproof))
	var logged bytes.Buffer
	srv.Config.ErrorLog = log.New(&logged, "", 0)
	srv.Start()
	defer srv.Close()
	if resp, err := http.Get(srv.URL + "/?id=" + noOrders); err == nil {
		resp.Body.Close()
		t.Errorf("the request whose task panicked got %s, want the connection closed", resp.Status)
	}
	resp, err := http.Get(srv.URL + "/?id=7")
	if err != nil {
		t.Fatalf("the next request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "user7 lamp\n" {
		t.Errorf("the next request got %q", body)
	}
	srv.Close() // flushes the server's log
	for _, want := range []string{"group: task panicked: runtime error: index out of range", "errgroup_test.lookupLastOrder"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("server log does not contain %q:\n%s", want, logged.String())
		}
	}
}

// countLinesLeakproof is leaks_test.go's countLines, fixed: the send gives
// up when the group's context ends, and a bound on the wait names any task
// still stuck.
func countLinesLeakproof(ctx context.Context, docs []string) (int, error) {
	// README: errgroup hang after
	g, gctx := errgroup.WithContext(ctx)
	lines := make(chan string)
	g.Go(func() error {
		defer close(lines)
		for _, doc := range docs {
			for l := range strings.Lines(doc) {
				if err := chanx.Send(gctx, lines, l); err != nil {
					return err // the counter failed, which ended gctx
				}
			}
		}
		return nil
	})
	n := 0
	g.Go(func() error {
		for l := range lines {
			if strings.TrimSpace(l) == "" {
				return errBlankLine
			}
			n++
		}
		return nil
	})
	// A task still stuck after 10s is named, with its Go line, in a
	// *group.DriftError rather than hanging the caller.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := g.WaitContext(wctx)
	// README: end
	return n, err
}

func TestAfterWaitReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		n, err := countLinesLeakproof(context.Background(), docs)
		if n != 3 || err != errBlankLine || time.Since(start) != 0 {
			t.Errorf("countLines = %d, %v after %v, want 3, errBlankLine at once", n, err, time.Since(start))
		}
		n, err = countLinesLeakproof(context.Background(), []string{"a\nb\n", "c\n"})
		if n != 3 || err != nil {
			t.Errorf("countLines = %d, %v, want 3, nil", n, err)
		}
	})
}

// ExampleGroup_WaitContext is a Wait that would hang: a task blocks on a
// send nobody receives. WaitContext gives up and names its Go line.
func ExampleGroup_WaitContext() {
	var g errgroup.Group
	results := make(chan int)
	g.Go(func() error {
		results <- 1 // nobody receives
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := g.WaitContext(ctx)
	var drift *group.DriftError
	if errors.As(err, &drift) {
		s := drift.Tasks[0]
		fmt.Printf("%d task still running, started at %s\n", s.Count, filepath.Base(s.File))
	}
	<-results // lets the task end
	fmt.Println(g.Wait())
	// Output:
	// 1 task still running, started at example_test.go
	// <nil>
}

// ExampleGroup_Stop is a component's workers: each runs until the group's
// context ends; Stop ends them all and waits.
func ExampleGroup_Stop() {
	g, ctx := errgroup.WithContext(context.Background())
	for range 3 {
		g.Go(func() error {
			<-ctx.Done() // a worker loop would select on this
			return nil
		})
	}
	fmt.Println(g.Stop())
	// Output: <nil>
}

// ExampleGroup_GoContext waits for a slot only as long as ctx allows.
func ExampleGroup_GoContext() {
	var g errgroup.Group
	g.SetLimit(1)
	release := make(chan struct{})
	g.Go(func() error { <-release; return nil }) // takes the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println(g.GoContext(ctx, func() error { return nil }))
	close(release)
	fmt.Println(g.Wait())
	// Output:
	// context deadline exceeded
	// <nil>
}
