package lockx

// A waiter is one goroutine waiting for a lock, or for a condition on it. It
// lives in one of its lock's queues while it waits, and it is only touched
// under the lock's queue mutex, apart from ready, which the waiting
// goroutine made and blocks on.
type waiter struct {
	// ready gets one value each time the waiter is woken or granted the
	// lock. It is made by the waiting goroutine itself, never pooled, so
	// that a wait inside a synctest bubble is on a channel of that bubble.
	ready      chan struct{}
	prev, next *waiter
	status     waitStatus
	write      bool // RWMutex: the waiter wants the lock exclusively
	losses     int  // Mutex: times woken and beaten to the lock
}

type waitStatus uint8

const (
	queued     waitStatus = iota // in the lock's queue, asleep
	woken                        // out of the queue, told to compete for the lock
	granted                      // out of the queue, holding the lock
	awaiting                     // DoWhen: in the condition queue, asleep until the state changes
	rechecking                   // DoWhen: out of the condition queue, told to compete for the lock and look again
)

func newWaiter(write bool) *waiter {
	return &waiter{ready: make(chan struct{}, 1), write: write}
}

// wait blocks until w is signalled or done is closed, and reports whether w
// was signalled. A nil done (a context that never ends) waits for the
// signal alone, in a plain receive.
func (w *waiter) wait(done <-chan struct{}) bool {
	if done == nil {
		<-w.ready
		return true
	}
	select {
	case <-w.ready:
		return true
	case <-done:
		return false
	}
}

// signal wakes w, if w is not nil, after w.status was set under the queue
// mutex. It is called after the queue mutex is released, so that waking a
// goroutine does not lengthen the lock's critical sections. By then w may
// have given up and seen its new status on its own; the value then lands in
// ready, unread. ready always has room: w drained the previous signal
// before it could be queued again.
func (w *waiter) signal() {
	if w != nil {
		w.ready <- struct{}{}
	}
}

// signalAll signals a chain of waiters linked through next, as admit and
// wakeConds return them. Each next is read before its waiter is
// signalled: once signalled, a waiter may queue again and reuse the field.
func signalAll(w *waiter) {
	for w != nil {
		next := w.next
		w.signal()
		w = next
	}
}

// A waitQueue is an intrusive FIFO list of waiters, circular so that one
// pointer is all a lock pays for each queue, and doubly linked so that a
// waiter that gives up can take itself out of the middle in O(1).
type waitQueue struct{ head *waiter }

func (q *waitQueue) pushBack(w *waiter, status waitStatus) {
	w.status = status
	h := q.head
	if h == nil {
		w.prev, w.next = w, w
		q.head = w
		return
	}
	t := h.prev
	w.prev, w.next = t, h
	t.next, h.prev = w, w
}

func (q *waitQueue) pushFront(w *waiter, status waitStatus) {
	q.pushBack(w, status)
	q.head = w
}

// last reports whether w is the only waiter in q.
func (q *waitQueue) last(w *waiter) bool { return w.next == w }

func (q *waitQueue) remove(w *waiter) {
	if w.next == w {
		q.head = nil
	} else {
		w.prev.next, w.next.prev = w.next, w.prev
		if q.head == w {
			q.head = w.next
		}
	}
	w.prev, w.next = nil, nil
}

// len counts q's waiters.
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
