package group

import (
	"context"

	"github.com/leakproof/leakproof/internal/grouphook"
)

// Package errgroup is a Group whose tasks return errors. It reaches these
// entry points through internal/grouphook, whose doc says why; each starts
// a func() error on the core directly, so a task is one closure, as in
// x/sync/errgroup.
func init() {
	grouphook.Set(grouphook.Core[Group]{
		SetCancel:   func(g *Group, cancel context.CancelCauseFunc) { g.cancel = cancel },
		Go:          (*Group).goErr,
		GoContext:   (*Group).goContextErr,
		TryGo:       (*Group).tryGoErr,
		SetLimit:    (*Group).setLimit,
		Wait:        (*Group).waitErr,
		WaitContext: (*Group).waitContextErr,
	})
}

// The taskSite calls below pass 1: errgroup's method is one frame more
// between them and the user's Go line.

func (g *Group) goErr(f func() error) bool {
	if g.sem != nil && cap(g.sem) == 0 {
		return false // SetLimit(0): the wait for a slot would never end
	}
	s := g.taskSite(codePtr(f), 1)
	g.countWait(s)
	g.startErr(f, s)
	return true
}

func (g *Group) goContextErr(ctx context.Context, f func() error) error {
	s := g.taskSite(codePtr(f), 1)
	if err := g.acquire(ctx, s); err != nil {
		return err
	}
	g.startErr(f, s)
	return nil
}

func (g *Group) tryGoErr(f func() error) bool {
	if !g.tryAcquire() {
		return false
	}
	s := g.taskSite(codePtr(f), 1)
	g.count(s)
	g.startErr(f, s)
	return true
}

func (g *Group) waitErr(method string, stop bool) error {
	g.stopWait(method, stop)
	return g.firstErr()
}

func (g *Group) waitContextErr(ctx context.Context) error {
	if err := g.WaitContext(ctx); err != nil {
		return err
	}
	return g.firstErr()
}

// startErr is start for a func() error, whose error is recorded, so that
// package errgroup need not wrap it in a func() of its own: a second
// closure per task. It is not folded into start, whose closure would then
// capture a word more for every task.
func (g *Group) startErr(f func() error, s *site) {
	if s == nil { // as in start
		go func() {
			defer g.taskDone(nil, g.enter(nil))
			if err := f(); err != nil {
				g.fail(err)
			}
		}()
		return
	}
	go func() {
		defer g.taskDone(s, g.enter(s))
		if err := f(); err != nil {
			g.fail(err)
		}
	}()
}

// fail records the first error a task returned, and cancels the context
// with it as the cause.
func (g *Group) fail(err error) {
	g.mu.Lock()
	first := g.err == nil
	if first {
		g.err = err
	}
	g.mu.Unlock()
	if first && g.cancel != nil {
		g.cancel(err)
	}
}

// firstErr returns the first error a task returned.
func (g *Group) firstErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}
