package group_test

import (
	"context"
	"sync"
	"testing"
	"time"

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

// BenchmarkMap and BenchmarkMapErrgroup map 1,000 cheap elements with at
// most 8 calls at once: Map against the errgroup loop with a results slice
// that it replaces.
const elements = 1000

func double(_ context.Context, x int) (int, error) { return 2 * x, nil }

func BenchmarkMap(b *testing.B) {
	in := make([]int, elements)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := group.Map(ctx, in, 8, double); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMapErrgroup(b *testing.B) {
	in := make([]int, elements)
	b.ReportAllocs()
	for b.Loop() {
		g, ctx := errgroup.WithContext(context.Background())
		g.SetLimit(8)
		out := make([]int, len(in))
		for i, x := range in {
			g.Go(func() error {
				r, err := double(ctx, x)
				out[i] = r
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHedge and BenchmarkFirstOne: a hedged call whose first fn
// succeeds at once, so the backup never starts, against First with that
// one fn.
func BenchmarkHedge(b *testing.B) {
	ctx := context.Background()
	fn := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := group.Hedge(ctx, 10*time.Millisecond, fn, fn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFirstOne(b *testing.B) {
	ctx := context.Background()
	fn := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := group.First(ctx, fn); err != nil {
			b.Fatal(err)
		}
	}
}
