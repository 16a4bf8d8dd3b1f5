// Package unlock holds locks with a path to a return that skips the unlock,
// and look-alikes that are fine.
package unlock

import (
	"errors"
	"sync"
)

var (
	errNegative = errors.New("negative amount")
	errTooBig   = errors.New("value too big")
	errClosed   = errors.New("closed")
)

// adder returns a function that adds to a total under a lock.
func adder() func(int) error {
	var (
		mu    sync.Mutex
		total int
	)
	return func(n int) error {
		mu.Lock() // want `mu.Lock\(\) is still held at the return on line 25`
		if n < 0 {
			return errNegative // returns holding the lock
		}
		total += n
		mu.Unlock()
		return nil
	}
}

type cache struct {
	mu    sync.Mutex
	max   int
	items map[string][]byte
}

// Put stores v unless it is too big.
func (c *cache) Put(key string, v []byte) error {
	c.mu.Lock() // want `c.mu.Lock\(\) is still held`
	if len(v) > c.max {
		return errTooBig
	}
	c.items[key] = v
	c.mu.Unlock()
	return nil
}

type service struct{ addr string }

type registry struct {
	mu       sync.RWMutex
	services map[string]*service
}

// Lookup finds a service by name.
func (r *registry) Lookup(name string) (*service, bool) {
	r.mu.RLock() // want `r.mu.RLock\(\) is still held at the return on line 62, which skips the RUnlock below it`
	s, ok := r.services[name]
	if !ok {
		return nil, false
	}
	r.mu.RUnlock()
	return s, true
}

type queue struct {
	mu    sync.Mutex
	items []int
}

// drainUntil pops items until it pops stop. The lock is taken in a loop,
// so a defer would hold it across iterations: no fix.
func (q *queue) drainUntil(stop int) {
	for {
		q.mu.Lock() // want `q.mu.Lock\(\) is still held`
		if len(q.items) == 0 {
			return
		}
		item := q.items[0]
		q.items = q.items[1:]
		q.mu.Unlock()
		if item == stop {
			return
		}
	}
}

type conn struct{ id int }

func (c *conn) send(string) error { return nil }

type server struct {
	mu     sync.Mutex
	closed bool
	conns  map[int]*conn
}

// handle sends on the request's connection. The send runs unlocked after
// the Unlock, and a defer would hold the lock across it: no fix.
func (s *server) handle(id int, msg string) error {
	s.mu.Lock() // want `s.mu.Lock\(\) is still held`
	switch {
	case s.closed:
		return errClosed
	}
	c := s.conns[id]
	s.mu.Unlock()
	return c.send(msg)
}

// counter embeds its mutex.
type counter struct {
	sync.Mutex
	n int
}

// Add adds d unless it would go negative.
func (c *counter) Add(d int) bool {
	c.Lock() // want `c.Lock\(\) is still held`
	if c.n+d < 0 {
		return false
	}
	c.n += d
	c.Mutex.Unlock()
	return true
}

// Get releases the lock in a deferred closure.
func (c *cache) Get(key string) []byte {
	c.mu.Lock()
	defer func() { c.mu.Unlock() }()
	return c.items[key]
}

// Len defers the unlock at once.
func (c *cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		return 0
	}
	return len(c.items)
}

// lock takes the lock for its caller, who unlocks it.
func (s *server) lock() map[int]*conn {
	s.mu.Lock()
	return s.conns
}

// acquire takes the lock unless the server is closed; the caller unlocks.
func (s *server) acquire() bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	return true
}

// Close releases the lock through a method that unlocks it.
func (s *server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.unlockAndWake()
		return errClosed
	}
	s.closed = true
	s.mu.Unlock()
	return nil
}

func (s *server) unlockAndWake() { s.mu.Unlock() }

// Remove unlocks on every path.
func (c *cache) Remove(key string) error {
	c.mu.Lock()
	if _, ok := c.items[key]; !ok {
		c.mu.Unlock()
		return errors.New("no such key")
	}
	delete(c.items, key)
	c.mu.Unlock()
	return nil
}

// Must panics rather than return with the lock held.
func (c *cache) Must(key string) []byte {
	c.mu.Lock()
	v, ok := c.items[key]
	if !ok {
		panic("unlock: no key " + key)
	}
	c.mu.Unlock()
	return v
}

// sweep takes and releases the lock once per item, continuing unlocked.
func (q *queue) sweep() {
	for i := range q.items {
		q.mu.Lock()
		if q.items[i] < 0 {
			q.mu.Unlock()
			continue
		}
		q.items[i] = 0
		q.mu.Unlock()
	}
}

// flushLocked is called with s.mu held, and returns with it held: it lets
// the lock go around a slow call.
func (s *server) flushLocked(c *conn) error {
	s.mu.Unlock()
	err := c.send("flush")
	s.mu.Lock()
	if s.closed {
		return errClosed
	}
	return err
}

// match takes the lock only when asked to, and releases it under the same
// condition.
func (c *cache) match(key string, doLock bool) bool {
	if doLock {
		c.mu.Lock()
	}
	_, ok := c.items[key]
	if doLock {
		c.mu.Unlock()
	}
	return ok
}

// recoverState releases the lock in a deferred closure given the cache.
func (c *cache) recoverState() error {
	c.mu.Lock()
	unlocked := false
	defer func(c *cache) {
		if !unlocked {
			c.mu.Unlock()
		}
	}(c)
	if c.items == nil {
		return errors.New("no items")
	}
	c.mu.Unlock()
	unlocked = true
	return nil
}

// never's early return cannot happen.
func (c *cache) never() {
	c.mu.Lock()
	if false {
		return
	}
	c.mu.Unlock()
}

// install holds the lock throughout, with a deferred unlock, and lets it go
// around a slow call.
func (s *server) install(c *conn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.Unlock()
	err := c.send("install")
	s.mu.Lock()
	if s.closed {
		return errClosed
	}
	return err
}

// Clear is written with a parenthesized method value.
func (c *cache) Clear() error {
	(c.mu.Lock)() // want `c.mu.Lock\(\) is still held`
	if c.items == nil {
		return errClosed
	}
	clear(c.items)
	c.mu.Unlock()
	return nil
}
