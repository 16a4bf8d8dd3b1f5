//go:build race || lockxcheck

package group

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// ownTasks knows which goroutines are running a group's tasks, so that a
// Wait from one of them panics instead of hanging. Each task pays a
// checkmode.GoID (a runtime.Stack call, about two microseconds) at its
// start; normal builds have an empty ownTasks and call none of this.
type ownTasks struct {
	mu  sync.Mutex
	ids map[uint64]*site // goroutine id to the site of the Go that started it
}

// enter records the calling goroutine as running a task of g counted at s
// (nil: the head site), and returns its id for exit.
func (o *ownTasks) enter(g *Group, s *site) uint64 {
	if s == nil {
		s = &g.tasks
	}
	id := checkmode.GoID()
	o.mu.Lock()
	if o.ids == nil {
		o.ids = make(map[uint64]*site)
	}
	o.ids[id] = s
	o.mu.Unlock()
	return id
}

func (o *ownTasks) exit(id uint64) {
	o.mu.Lock()
	delete(o.ids, id)
	o.mu.Unlock()
}

// check panics if the calling goroutine is running one of the group's
// tasks. method names the call, as "group: Group.Wait".
func (o *ownTasks) check(method string) {
	id := checkmode.GoID()
	o.mu.Lock()
	s, own := o.ids[id]
	o.mu.Unlock()
	if !own {
		return
	}
	at := "an unknown line"
	if pc := s.at.Load(); pc != 0 {
		f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
		at = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	panic(fmt.Sprintf("%s: called from one of the group's own tasks (started by Go at %s): it can never return, since it waits for itself", method, at))
}
