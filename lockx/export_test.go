package lockx

import "fmt"

// Idle reports what, if anything, m has left behind: it returns nil when m
// is unlocked, nobody is queued for the lock or a condition, and no flag
// is set.
func Idle(m *Mutex) error { return m.l.idle("Mutex") }

// RWIdle is Idle for an RWMutex.
func RWIdle(m *RWMutex) error { return m.l.idle("RWMutex") }

// GuardedIdle is Idle for a Guarded.
func GuardedIdle[T any](g *Guarded[T]) error { return g.l.idle("Guarded") }

func (l *rwlock) idle(kind string) error {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	if s := l.state.Load(); s != 0 || l.wq.head != nil || l.rq.head != nil || l.conds.head != nil {
		return fmt.Errorf("%s not idle: state %#x, %d writers and %d readers queued, %d awaiting",
			kind, s, l.wq.len(), l.rq.len(), l.conds.len())
	}
	return nil
}

// Queued returns the number of goroutines asleep in m's queue.
func Queued(m *Mutex) int { return m.l.queued() }

// RWQueued returns the number of goroutines asleep in m's queues.
func RWQueued(m *RWMutex) int { return m.l.queued() }

func (l *rwlock) queued() int {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	return l.wq.len() + l.rq.len()
}

// Awaiting returns the number of DoWhen callers asleep until m's state
// changes, and GuardedAwaiting the same for g.
func Awaiting(m *Mutex) int { return m.l.awaiting() }

func GuardedAwaiting[T any](g *Guarded[T]) int { return g.l.awaiting() }

func (l *rwlock) awaiting() int {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	n := l.conds.len()
	if l.cv != nil {
		n += l.cv.waiting
	}
	return n
}
