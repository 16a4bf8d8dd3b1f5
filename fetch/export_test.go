package fetch

import "time"

// SetJitter replaces c's random choice of a backoff wait in [0, ceil] with f,
// so that tests of the backoff and deadline arithmetic are deterministic.
// Call it before c is used.
func SetJitter(c *Client, f func(ceil time.Duration) time.Duration) {
	c.init()
	c.jitter = f
}

var (
	ParseRetryAfter = parseRetryAfter
	ReadBody        = readBody
	BackoffCeil     = backoffCeil
	Jitter          = jitter
)

// OpenConns reports how many connections of c's own transport are open or
// still being read or written.
func OpenConns(c *Client) int {
	c.conns.mu.Lock()
	defer c.conns.mu.Unlock()
	return len(c.conns.open)
}

// Backoff exposes the wait before retry n of c.
func Backoff(c *Client, n int) time.Duration { return c.backoff(n) }

// Hosts reports how many hosts have per-host slot entries.
func Hosts(c *Client) int {
	c.hostMu.Lock()
	defer c.hostMu.Unlock()
	return len(c.hosts)
}
