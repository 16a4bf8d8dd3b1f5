package lockx

import "fmt"

// Idle reports what, if anything, m has left behind: it returns nil when m
// is unlocked, nobody is queued for the lock or a condition, and no flag
// is set.
func Idle(m *Mutex) error {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	if s := m.state.Load(); s != 0 || m.q.head != nil || m.conds.head != nil {
		return fmt.Errorf("Mutex not idle: state %#x, queue %d, awaiting %d", s, m.q.len(), m.conds.len())
	}
	return nil
}

// RWIdle is Idle for an RWMutex.
func RWIdle(m *RWMutex) error {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	if s := m.state.Load(); s != 0 || m.q.head != nil || m.conds.head != nil {
		return fmt.Errorf("RWMutex not idle: state %#x, queue %d, awaiting %d", s, m.q.len(), m.conds.len())
	}
	return nil
}

// GuardedIdle is Idle for a Guarded.
func GuardedIdle[T any](g *Guarded[T]) error { return RWIdle(&g.mu) }

// Queued returns the number of goroutines asleep in m's queue.
func Queued(m *Mutex) int {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	return m.q.len()
}

// RWQueued returns the number of goroutines asleep in m's queue.
func RWQueued(m *RWMutex) int {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	return m.q.len()
}

// Awaiting returns the number of DoWhen callers asleep until m's state
// changes, and GuardedAwaiting the same for g.
func Awaiting(m *Mutex) int {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	return m.conds.len()
}

func GuardedAwaiting[T any](g *Guarded[T]) int {
	g.mu.qmu.Lock()
	defer g.mu.qmu.Unlock()
	return g.mu.conds.len()
}

func (q *waitQueue) len() int {
	n := 0
	for w := q.head; w != nil; w = w.next {
		n++
		if w.next == q.head {
			break
		}
	}
	return n
}
