package errgroup_test

import (
	"testing"

	xerrgroup "golang.org/x/sync/errgroup"

	"github.com/leakproof/leakproof/errgroup"
)

// BenchmarkGoWait and BenchmarkGoWaitXSync start 100 tasks that return nil
// and wait for them, with this package and with golang.org/x/sync/errgroup;
// the Limit pair does the same with at most 8 running at once. Each
// iteration uses a fresh group, as a caller would.
const tasks = 100

func BenchmarkGoWait(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var g errgroup.Group
		for range tasks {
			g.Go(func() error { return nil })
		}
		g.Wait()
	}
}

func BenchmarkGoWaitXSync(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var g xerrgroup.Group
		for range tasks {
			g.Go(func() error { return nil })
		}
		g.Wait()
	}
}

func BenchmarkGoWaitLimit(b *testing.B) {
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

func BenchmarkGoWaitLimitXSync(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var g xerrgroup.Group
		g.SetLimit(8)
		for range tasks {
			g.Go(func() error { return nil })
		}
		g.Wait()
	}
}
