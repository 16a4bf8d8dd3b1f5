package group_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/leakproof/leakproof/group"
)

// ExampleGroup starts a task per item, at most two at a time, and waits for
// them all. Go counts each task itself, so no Add can go unmatched.
func ExampleGroup() {
	var g group.Group
	g.SetLimit(2) // Go blocks while two tasks run
	var total atomic.Int64
	for _, n := range []int64{1, 2, 3, 4, 5} {
		g.Go(func() { total.Add(n * n) })
	}
	g.Wait()
	fmt.Println(total.Load())
	// Output: 55
}

// ExampleGroup_WaitContext is the Add(5) with three Done that hangs a
// sync.WaitGroup forever. WaitContext gives up when ctx ends and says what
// it was waiting for.
func ExampleGroup_WaitContext() {
	var g group.Group
	g.Add(5)
	for range 3 {
		go func() {
			defer g.Done()
			// work
		}()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := g.WaitContext(ctx); err != nil {
		var drift *group.DriftError
		if errors.As(err, &drift) {
			fmt.Println("pending:", drift.Pending)
			for _, s := range drift.Adds {
				fmt.Printf("%d unmatched Add at %s\n", s.Count, filepath.Base(s.File))
			}
		}
		fmt.Println(errors.Is(err, context.DeadlineExceeded))
	}
	// Output:
	// pending: 2
	// 2 unmatched Add at example_test.go
	// true
}

// ExampleFirst asks three replicas and takes the first answer. The slow
// replicas are cancelled, and even if they ignored that, none could block:
// First's result channel has room for every answer.
func ExampleFirst() {
	replica := func(name string, delay time.Duration) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			select {
			case <-time.After(delay):
				return name, nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
	}
	answer, err := group.First(context.Background(),
		replica("replica-a", time.Second),
		replica("replica-b", 0),
		replica("replica-c", time.Second),
	)
	fmt.Println(answer, err)
	// Output: replica-b <nil>
}

// ExampleWithContext is a component's set of workers: each watches the
// group's context, and Stop ends them all and waits for them.
func ExampleWithContext() {
	g, ctx := group.WithContext(context.Background())
	var stopped atomic.Int64
	for range 3 {
		g.Go(func() {
			<-ctx.Done() // a worker loop would select on this
			stopped.Add(1)
		})
	}
	g.Stop()
	fmt.Println(stopped.Load(), "workers stopped")
	// Output: 3 workers stopped
}
