// Package bench holds the comparisons the library module must not depend
// on: github.com/sourcegraph/conc. The comparisons with sync,
// golang.org/x/sync and hand-written net/http code sit beside each primitive
// in the library's own packages (BenchmarkDo beside BenchmarkDoSyncMutex);
// the run script in this directory runs both and prints the ratios.
//
// group's side is measured again here, in the same binary as conc's, so the
// two see the same build and the same machine moment.
package bench

import (
	"testing"

	"github.com/sourcegraph/conc"
	"github.com/sourcegraph/conc/pool"

	"github.com/leakproof/leakproof/group"
)

// tasks matches group's own benchmarks: 100 empty tasks, then Wait.
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

// BenchmarkGoWaitConc uses conc.WaitGroup, which also catches task panics
// and re-raises them in Wait.
func BenchmarkGoWaitConc(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var wg conc.WaitGroup
		for range tasks {
			wg.Go(func() {})
		}
		wg.Wait()
	}
}

// BenchmarkGoWaitLimit and BenchmarkGoWaitLimitConc run at most 8 tasks at
// once. A conc pool reuses its goroutines; a Group starts one per task.
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

func BenchmarkGoWaitLimitConc(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		p := pool.New().WithMaxGoroutines(8)
		for range tasks {
			p.Go(func() {})
		}
		p.Wait()
	}
}
