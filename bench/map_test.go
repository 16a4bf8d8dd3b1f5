package bench

import (
	"context"
	"testing"

	"github.com/sourcegraph/conc/iter"

	"github.com/leakproof/leakproof/group"
)

// BenchmarkMap and BenchmarkMapConc map 1,000 cheap elements with at most 8
// calls at once. Both run 8 workers that take the next index from an atomic
// counter; group.Map also cancels the other calls at the first error and
// re-raises a panic, conc's MapErr runs every element and joins the errors.
const elements = 1000

func double(x int) (int, error) { return 2 * x, nil }

func BenchmarkMap(b *testing.B) {
	in := make([]int, elements)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := group.Map(ctx, in, 8, func(_ context.Context, x int) (int, error) { return double(x) }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMapConc(b *testing.B) {
	in := make([]int, elements)
	b.ReportAllocs()
	for b.Loop() {
		m := iter.Mapper[int, int]{MaxGoroutines: 8}
		if _, err := m.MapErr(in, func(x *int) (int, error) { return double(*x) }); err != nil {
			b.Fatal(err)
		}
	}
}
