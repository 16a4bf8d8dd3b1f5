package group_test

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/leakproof/leakproof/group"
)

// The Go+Wait benchmarks start 100 empty tasks and wait for them, with the
// Group, errgroup.Group and sync.WaitGroup.Go: the hand-written code a Group
// replaces. Each iteration uses a fresh group, as a caller would.
const tasks = 100

func BenchmarkGoWait(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var g group.Group
		for range tasks {
			g.Go(func() {})
		}
		g.Wait()
	}
}

func BenchmarkGoWaitErrgroup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var g errgroup.Group
		for range tasks {
			g.Go(func() error { return nil })
		}
		g.Wait()
	}
}

func BenchmarkGoWaitWaitGroup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		for range tasks {
			wg.Go(func() {})
		}
		wg.Wait()
	}
}

// BenchmarkGoWaitLimit and BenchmarkGoWaitLimitErrgroup are the same with
// at most 8 tasks running at once.
func BenchmarkGoWaitLimit(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var g group.Group
		g.SetLimit(8)
		for range tasks {
			g.Go(func() {})
		}
		g.Wait()
	}
}

func BenchmarkGoWaitLimitErrgroup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var g errgroup.Group
		g.SetLimit(8)
		for range tasks {
			g.Go(func() error { return nil })
		}
		g.Wait()
	}
}

// BenchmarkAddDone and BenchmarkAddDoneWaitGroup measure an Add(1)+Done
// pair, the cost of counting work in a hot loop.
func BenchmarkAddDone(b *testing.B) {
	var g group.Group
	b.ReportAllocs()
	for b.Loop() {
		g.Add(1)
		g.Done()
	}
}

func BenchmarkAddDoneWaitGroup(b *testing.B) {
	var wg sync.WaitGroup
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		wg.Done()
	}
}

// BenchmarkFirst and BenchmarkFirstByHand race three functions that return
// at once, with First and with the buffered channel plus
// context.WithCancel that a careful programmer writes by hand.
func BenchmarkFirst(b *testing.B) {
	ctx := context.Background()
	fn := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := group.First(ctx, fn, fn, fn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFirstByHand(b *testing.B) {
	ctx := context.Background()
	fns := []func(context.Context) (int, error){
		func(context.Context) (int, error) { return 1, nil },
		func(context.Context) (int, error) { return 1, nil },
		func(context.Context) (int, error) { return 1, nil },
	}
	type result struct {
		v   int
		err error
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithCancel(ctx)
		results := make(chan result, len(fns))
		for _, fn := range fns {
			go func() {
				v, err := fn(ctx)
				results <- result{v, err}
			}()
		}
		var got result
		for range fns {
			if got = <-results; got.err == nil {
				break
			}
		}
		cancel()
		if got.err != nil {
			b.Fatal(got.err)
		}
	}
}
