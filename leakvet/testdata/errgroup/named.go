package errgroup

import (
	"strconv"

	eg "golang.org/x/sync/errgroup" // want `golang.org/x/sync/errgroup`
)

// parseAll parses every number, failing on the first that is not one.
func parseAll(ss []string) ([]int, error) {
	out := make([]int, len(ss))
	var g eg.Group
	for i, s := range ss {
		g.Go(func() (err error) {
			out[i], err = strconv.Atoi(s)
			return err
		})
	}
	return out, g.Wait()
}
