package errgroup

import "golang.org/x/sync/errgroup" // want `errgroup has the same API, and its Wait re-raises the panic`

// squareAll squares xs four at a time.
func squareAll(xs []int) []int {
	out := make([]int, len(xs))
	var g errgroup.Group
	g.SetLimit(4)
	for i, x := range xs {
		g.Go(func() error {
			out[i] = x * x
			return nil
		})
	}
	_ = g.Wait()
	return out
}
