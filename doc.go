// Package leakproof makes the classic goroutine leaks hard to write and easy
// to refactor away. A goroutine leaks whenever it blocks forever; each
// pattern below does that in plain Go, and each has a drop-in replacement in
// a subpackage:
//
//	pitfall (leaky code)                               leakproof replacement
//	-------------------------------------------------  ----------------------------------------------
//	N goroutines send on an unbuffered channel,        group.First: buffered results, losers
//	only the first result is received                  cancelled, none can block
//	send on a nil channel (var ch chan T never made)   chanx.Send(ctx, ch, v): refuses nil with
//	                                                   ErrNilChannel, gives up when ctx ends
//	receive on a nil channel, or one nobody sends on   chanx.Recv(ctx, ch): same
//	mu.Lock() with no Unlock() on some path            lockx.Mutex.Do(func): the unlock cannot be
//	                                                   forgotten; DoContext lets a waiter give up
//	wg.Add(5) but only three wg.Done()                 group.Group: panics when Done outruns Add;
//	                                                   WaitContext reports the unmatched Adds and
//	                                                   where they were made instead of hanging
//	a goroutine per tick calling http.Get on a slow    fetch.Client: a concurrency semaphore,
//	server, no timeout                                 per-request timeouts that cover the body,
//	                                                   capped bodies, always-closed connections
//
// The packages are chanx, lockx, group and fetch. Their own tests prove,
// with goleak and with the runtime's goroutineleak profile, that they leave
// no goroutine behind.
package leakproof
