// Package wgdriftlp imports leakproof already, so a local WaitGroup
// becomes a group.Group.
package wgdriftlp

import (
	"sync"

	"github.com/leakproof/leakproof/chanx"
)

var _ = chanx.ErrNilChannel

func work(int) {}

// startFive adds five but starts three, and waits in another goroutine.
func startFive() <-chan struct{} {
	var wg sync.WaitGroup
	wg.Add(5) // want `wg.Add\(5\) but only 3 goroutines call wg.Done`
	for i := range 3 {
		go func() {
			defer wg.Done()
			work(i)
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait() // blocks forever: two Adds are never matched
		close(done)
	}()
	return done
}

// visit skips negative ids after counting them.
func visit(ids []int) {
	wg := &sync.WaitGroup{}
	for _, id := range ids {
		wg.Add(1)
		if id < 0 {
			continue // want `this continue skips the go statement`
		}
		go func() {
			defer wg.Done()
			work(id)
		}()
	}
	wg.Wait()
}
