package group

import "github.com/leakproof/leakproof/internal/checkmode"

// In checked mode a Group knows which goroutines run its tasks (ownTasks,
// in checked.go), so that a Wait or Stop from one of them, which could
// never return, panics at once. Normal builds compile these calls away:
// checkmode.On is a constant.

// enter, in checked mode, records the calling goroutine as one of g's
// tasks and returns its id; otherwise it does nothing.
func (g *Group) enter(s *site) uint64 {
	if checkmode.On {
		return g.own.enter(g, s)
	}
	return 0
}

// checkNotOwnTask panics, in checked mode, if the caller is one of g's
// tasks; method names the caller's method for the message. Only a group
// with tasks running can have been called from one.
func (g *Group) checkNotOwnTask(method string) {
	if checkmode.On && (g.state.Load()>>1)&taskMax != 0 {
		g.own.check(method)
	}
}
