package errgroup

import (
	"context"
	"testing"

	"golang.org/x/sync/errgroup"
)

// A test file's import is not reported: there a task panic fails the test
// binary with either package.
func TestCrawl(t *testing.T) {
	var g errgroup.Group
	g.Go(func() error { return crawl(context.Background(), []string{"https://example.com"}) })
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}
