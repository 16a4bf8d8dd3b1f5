package errgroup

import (
	"errors"
	"os"

	// The limit keeps file descriptors in check.
	"golang.org/x/sync/errgroup" // want `golang.org/x/sync/errgroup`

	"leakvet.test/errgroup/internal/errgroup2"
)

var errBusy = errors.New("busy")

// statAll stats files, two at a time, refusing when both slots are busy.
func statAll(names []string) error {
	var g errgroup.Group
	g.SetLimit(2)
	for _, n := range names {
		if !g.TryGo(func() error { _, err := os.Stat(n); return err }) {
			return errors.Join(errBusy, g.Wait())
		}
	}
	return errors.Join(g.Wait(), errgroup2.Check())
}
