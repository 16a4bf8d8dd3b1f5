package group

import (
	"bytes"
	"fmt"
	"runtime/debug"
)

// A PanicError is the value [Group.Wait] re-raises when a task panicked:
// the original panic value and the stack of the goroutine that panicked.
type PanicError struct {
	Value any    // what the task passed to panic
	Stack []byte // the panicking goroutine's stack, as debug.Stack prints it, less its first line
	more  int    // how many other tasks panicked before this one was raised
}

// Error shows the original value and the panicking goroutine's stack.
func (p *PanicError) Error() string {
	more := ""
	switch {
	case p.more == 1:
		more = " (and 1 more task panicked)"
	case p.more > 1:
		more = fmt.Sprintf(" (and %d more tasks panicked)", p.more)
	}
	return fmt.Sprintf("group: task panicked: %v%s\n\n%s", p.Value, more, p.Stack)
}

// Unwrap returns the original value if it is an error, so errors.Is and
// errors.As see through the re-raise, and nil otherwise.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

func newPanicError(v any) *PanicError {
	stack := debug.Stack()
	// The first line reads "goroutine N [running]:", but by the time the
	// panic is re-raised that goroutine is gone: trim it, as
	// x/sync/singleflight does.
	if i := bytes.IndexByte(stack, '\n'); i >= 0 {
		stack = stack[i+1:]
	}
	return &PanicError{Value: v, Stack: stack}
}

// recordPanic keeps the first panic for Wait to re-raise, counts the others,
// and cancels the group's context with the panic as the cause.
func (g *Group) recordPanic(v any) {
	p := newPanicError(v)
	g.mu.Lock()
	if g.panicked.Load() != nil {
		g.morePanics++
	} else {
		g.panicked.Store(p)
	}
	g.mu.Unlock()
	if g.cancel != nil {
		g.cancel(p)
	}
}

// raise re-raises a recorded panic, once.
func (g *Group) raise() {
	if g.panicked.Load() == nil {
		return
	}
	g.mu.Lock()
	p, more := g.panicked.Swap(nil), g.morePanics
	g.morePanics = 0
	g.mu.Unlock()
	if p == nil {
		return
	}
	if more > 0 {
		// A copy: the tasks may be reading the first as their context's
		// cause.
		c := *p
		c.more = more
		p = &c
	}
	panic(p)
}
