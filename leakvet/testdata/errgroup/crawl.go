// Package errgroup imports golang.org/x/sync/errgroup in the ways real code
// does, beside look-alikes that are fine.
package errgroup

import (
	"context"
	"net/url"

	"golang.org/x/sync/errgroup" // want `a task panic in golang.org/x/sync/errgroup crashes the program`
)

// crawl parses every link, stopping at the first bad one.
func crawl(ctx context.Context, links []string) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, l := range links {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			_, err := url.Parse(l)
			return err
		})
	}
	return g.Wait()
}
