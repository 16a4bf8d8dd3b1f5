// Package grouphook lets package errgroup start and wait for func() error
// tasks on group.Group's own core, which group does not export.
//
// Why a hook: errgroup must not wrap each func() error in a func() of its
// own (a second closure per task on top of the goroutine's), so the core
// must start a func() error directly; and group's public API must stay what
// its users need, with no unsafe and no exported method only errgroup
// calls. Moving the core to an internal package instead would make
// group.PanicError, DriftError and Site aliases of internal types, whose
// docs users cannot browse. So group fills a Core in its init, and errgroup,
// which imports group and so is initialized after it, reads it once.
//
// Core is generic only so that this package need not import group (which
// imports it): G is group.Group.
package grouphook

import "context"

// Core is what errgroup needs of a group.Group g. Each function panics with
// a message naming errgroup's method where a misuse is a programming error.
type Core[G any] struct {
	// SetCancel makes g cancel with cancel, as group.WithContext's does.
	SetCancel func(g *G, cancel context.CancelCauseFunc)
	// Go starts f, waiting for a slot; it reports false, starting nothing,
	// if the limit is 0, where the wait would never end.
	Go func(g *G, f func() error) bool
	// GoContext starts f once a slot is free, unless ctx ends first.
	GoContext func(g *G, ctx context.Context, f func() error) error
	// TryGo starts f only if a slot is free now.
	TryGo func(g *G, f func() error) bool
	// SetLimit sets the limit, 0 included; it panics if tasks are running.
	SetLimit func(g *G, n int, method string)
	// Wait waits as group's Wait does, checking in checked mode that it is
	// not called from one of g's tasks (method names the caller for the
	// panic), and returns the first error a task returned. With stop, it
	// cancels g's context first, as Stop does.
	Wait func(g *G, method string, stop bool) error
	// WaitContext waits as group's WaitContext does, then returns the first
	// error a task returned.
	WaitContext func(g *G, ctx context.Context) error
}

var core any

// Set is called once, by group's init.
func Set[G any](c Core[G]) { core = c }

// Get returns what Set stored.
func Get[G any]() Core[G] { return core.(Core[G]) }
