// Package chanx sends and receives on channels without the ways that
// leave a goroutine blocked forever.
//
// A plain send or receive blocks forever on a nil channel, and on a live
// channel whose other side has gone away. [Send] and [Recv] refuse a nil
// channel with [ErrNilChannel] and give up with ctx.Err() when ctx ends;
// [TrySend] and [TryRecv] never block at all.
//
// # Which outcome wins
//
// Send and Recv check ctx before they touch the channel: once ctx has
// ended, Send sends nothing and Recv receives nothing, even when the channel
// is ready. A producer or consumer loop built on them therefore stops at
// the first call after cancellation, however busy the channel is; a plain
// select that picks at random between a ready channel and a done ctx keeps
// going for as many rounds as the coin says. While a call waits, whichever
// of the channel and ctx becomes ready first wins.
//
// # Closed channels
//
// Recv reports a closed, drained channel as [ErrClosed]. Send on a closed
// channel panics, as the built-in send does: only the owner of a channel
// closes it, after its last send, so a send after close is an ownership bug
// that must stay loud rather than become an error nobody checks.
//
// # Memory model
//
// A call that returns nil performed exactly one built-in channel operation,
// and has exactly its guarantees in the Go memory model: a Send that
// returns nil is synchronized before the completion of the Recv (or
// receive) that gets its value; on an unbuffered channel, that Recv is
// synchronized before the Send returns; and a close is synchronized before
// a Recv that returns [ErrClosed]. A call that returns any other error
// performed no channel operation and synchronizes with nothing through the
// channel.
//
// # Two reasons to stop
//
// A component often has to stop waiting when either the caller gives up or
// the component itself shuts down. Join the two into one [context.Context]
// with [context.AfterFunc]; see the Stopper example.
package chanx
