// Package nilchan holds channels that are never made, and look-alikes that
// are fine.
package nilchan

import (
	"log"
	"time"
)

type job struct{ id int }

// notifyAll announces each id to a results channel that nobody made.
func notifyAll(ids []int) {
	var results chan int // never made
	for _, id := range ids {
		go func() {
			results <- id // want `send on nil channel results, which is never made`
		}()
	}
}

// waitReady waits for a ready signal from a channel it forgot to make;
// start gets a copy of the nil channel and cannot make it either.
func waitReady() {
	var ready chan struct{}
	go start(ready)
	<-ready // want `receive from nil channel ready`
}

func start(ready chan struct{}) { close(ready) }

// A worker's jobs channel is never made: newWorker sets only quit.
type worker struct {
	jobs chan job
	quit chan struct{}
}

func newWorker() *worker { return &worker{quit: make(chan struct{})} }

func (w *worker) submit(j job) {
	w.jobs <- j // want `send on nil channel w.jobs`
}

func (w *worker) run() {
	for j := range w.jobs { // want `range over nil channel w.jobs`
		log.Print(j.id)
	}
}

var shutdown chan struct{} // closed by nobody: it was never made

func waitShutdown() {
	<-shutdown // want `receive from nil channel shutdown`
}

// pump offers each value to out and to pending, which stays nil on purpose:
// a nil channel's case is never chosen.
func pump(in <-chan int, out chan<- int) {
	var pending chan int
	for v := range in {
		select {
		case out <- v:
		case pending <- v:
		}
	}
}

// waitMaybe makes done only when asked to wait: nil on one path is not nil
// on every path.
func waitMaybe(wait bool, work func()) {
	var done chan struct{}
	if wait {
		done = make(chan struct{})
	}
	go func() {
		work()
		if done != nil {
			close(done)
		}
	}()
	if wait {
		<-done
	}
}

// A server's events channel is made by its constructor; its flushed hook
// is set only by tests, and checked for nil before use.
type server struct {
	events  chan string
	done    chan struct{}
	flushed chan struct{}
	Updates chan string // exported: other packages may set it
}

func newServer() *server { return &server{events: make(chan string, 16)} }

func (s *server) emit(e string) { s.events <- e }

func (s *server) start() {
	s.done = make(chan struct{})
	go func() {
		for e := range s.events {
			log.Print(e)
		}
		close(s.done)
	}()
}

func (s *server) flush() {
	if s.flushed != nil {
		s.flushed <- struct{}{}
	}
}

func (s *server) publish(u string) { s.Updates <- u }

// fill hands its channel to make by address.
func fill() int {
	var ch chan int
	makeInto(&ch)
	return <-ch
}

func makeInto(ch *chan int) {
	*ch = make(chan int, 1)
	*ch <- 1
}

// ticks uses a timer channel it was given, not one it forgot.
func ticks(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	<-t.C
}
