// Package ignore shows the leakvet:ignore directive: each leak below is
// deliberate and suppressed, except where the directive is wrong.
package ignore

import "sync"

// trailing: the directive on the reported line.
func trailing() {
	var ch chan int
	go func() { ch <- 1 }() //leakvet:ignore nilchan a demo of a send that blocks forever
}

// above: the directive alone on the line above.
func above() {
	var ch chan int
	//leakvet:ignore nilchan a demo of a receive that blocks forever
	go func() { <-ch }()
}

// inDoc leaks on purpose, which its doc comment's directive declares for
// the whole function.
//
//leakvet:ignore nilchan,wgdrift the demo counts what these leave behind
func inDoc() {
	var ch chan int
	go func() { <-ch }()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
	}()
	go func() {
		wg.Wait()
	}()
}

// noReason's directive names no reason, so it is not honoured.
func noReason() {
	var ch chan int
	//leakvet:ignore nilchan
	<-ch // want `receive from nil channel ch.*\(a leakvet:ignore directive here is not honoured without a reason\)`
}

// otherCategory's directive is for another category.
func otherCategory() {
	var ch chan int
	<-ch //leakvet:ignore fanout wrong category // want `receive from nil channel ch`
}

// tooFar's directive is two lines above.
func tooFar() {
	var ch chan int
	//leakvet:ignore nilchan a reason, but not on the line above

	<-ch // want `receive from nil channel ch`
}

// trailingAbove's directive trails the statement above, so it covers that
// line only.
func trailingAbove() {
	var a, b chan int
	a <- 1 //leakvet:ignore nilchan this one is deliberate
	b <- 1 // want `send on nil channel b`
}
