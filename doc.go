// Package leakproof makes the classic goroutine leaks hard to write, easy to
// find and easy to refactor away. A goroutine leaks whenever it blocks
// forever; each pattern below does that in plain Go, and each has a drop-in
// replacement in a subpackage:
//
//	pitfall (leaky code)                               leakproof replacement
//	-------------------------------------------------  ----------------------------------------------
//	N goroutines send on an unbuffered channel,        group.First: buffered results, losers
//	only the first result is received                  cancelled, none can block; group.Hedge
//	send on a nil channel (var ch chan T never made)   chanx.Send(ctx, ch, v): refuses nil with
//	                                                   ErrNilChannel, gives up when ctx ends
//	receive on a nil channel, or one nobody sends on   chanx.Recv(ctx, ch): same
//	mu.Lock() with no Unlock() on some path;           lockx.Mutex.Do(func): the unlock cannot be
//	a sync.Cond wait that nobody wakes                 forgotten; DoContext lets a waiter give up;
//	                                                   DoWhen waits for a condition, no Signal
//	wg.Add(5) but only three wg.Done()                 group.Group: panics when Done outruns Add;
//	                                                   WaitContext reports the unmatched Adds and
//	                                                   where they were made instead of hanging
//	an errgroup task that panics or hangs              errgroup: x/sync's API; Wait re-raises the
//	                                                   panic, WaitContext names the stuck Go line;
//	                                                   group.Map and ForEach over a slice
//	a goroutine per tick calling http.Get on a slow    fetch.Client: a concurrency semaphore,
//	server, no timeout                                 per-request timeouts that cover the body,
//	                                                   capped bodies, always-closed connections
//
// The libraries are chanx, lockx, group, errgroup and fetch. Two tools find
// the pitfalls: leaktest fails a test, or reports from a running program,
// each goroutine that goleak or the runtime's goroutineleak profile finds
// left behind, naming its pitfall and fix; and leakvet (cmd/leakvet) is an
// analyzer that reports the pitfalls in source code and, with -fix, rewrites
// them onto leakproof. Built with -race or -tags lockxcheck, lockx and group
// also panic on a lock re-taken by its holder, a lock-order inversion, and a
// group waited on from its own task, before they hang.
package leakproof
