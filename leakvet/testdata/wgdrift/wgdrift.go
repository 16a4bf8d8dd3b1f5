// Package wgdrift holds WaitGroup counts that cannot match, and look-alikes
// that are fine. It imports no leakproof package, so the fixes stay on
// sync.WaitGroup and its Go method.
package wgdrift

import (
	"errors"
	"log"
	"sync"
)

func work(int) {}

// startFive adds five but starts three.
func startFive() {
	var wg sync.WaitGroup
	wg.Add(5) // want `wg.Add\(5\) but only 3 goroutines call wg.Done: wg.Wait\(\) blocks forever on the 2 never matched`
	for i := range 3 {
		go func() {
			defer wg.Done()
			work(i)
		}()
	}
	wg.Wait()
}

// pair adds two and starts three: the third Done panics.
func pair() {
	var wg sync.WaitGroup
	wg.Add(2) // want `wg.Add\(2\) but 3 goroutines call wg.Done: the Done that outruns the Add panics`
	go func() {
		work(1)
		wg.Done()
	}()
	go func() {
		work(2)
		wg.Done()
	}()
	go func() {
		work(3)
		wg.Done()
	}()
	wg.Wait()
}

func fetch(url string) {}

// fetchAll skips empty URLs after it has counted them.
func fetchAll(urls []string) {
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Add(1)
		if u == "" {
			continue // want `this continue skips the go statement on line 56 after wg.Add\(1\) on line 52`
		}
		go func() {
			defer wg.Done()
			fetch(u)
		}()
	}
	wg.Wait()
}

type listener interface{ Accept() (int, error) }

type server struct{ wg sync.WaitGroup }

func (s *server) handle(int) {}

// Serve counts a connection before it knows it has one; Close waits for
// the count, which a failed Accept leaves one too high.
func (s *server) Serve(l listener) error {
	for {
		conn, err := l.Accept()
		s.wg.Add(1)
		if err != nil {
			return err // want `this return skips the go statement`
		}
		go func() {
			defer s.wg.Done()
			s.handle(conn)
		}()
	}
}

// Close waits for the connections.
func (s *server) Close() { s.wg.Wait() }

var errJob = errors.New("job failed")

// job fails for odd n.
func job(n int) error {
	if n%2 == 1 {
		return errJob
	}
	return nil
}

// runJobs logs failures, and forgets the Done when it does.
func runJobs(n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			if err := job(i); err != nil {
				log.Print(err)
				return // want `this return skips wg.Done\(\) on line 109`
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

type pool struct {
	wg   sync.WaitGroup
	jobs chan int
}

func newPool(n int) *pool {
	p := &pool{jobs: make(chan int)}
	for range n {
		p.wg.Add(1)
		go p.worker()
	}
	return p
}

// worker is started with p.wg.Add(1); go p.worker(). A negative job stops
// it.
func (p *pool) worker() {
	for j := range p.jobs {
		if j < 0 {
			return // want `this return skips p.wg.Done\(\)`
		}
		work(j)
	}
	p.wg.Done()
}

// all adds the length of the slice it ranges over.
func all(items []int) {
	var wg sync.WaitGroup
	wg.Add(len(items))
	for _, it := range items {
		go func() {
			defer wg.Done()
			work(it)
		}()
	}
	wg.Wait()
}

// three adds as many as it starts.
func three() {
	var wg sync.WaitGroup
	wg.Add(3)
	for i := 0; i < 3; i++ {
		go func() {
			defer wg.Done()
			work(i)
		}()
	}
	wg.Wait()
}

// skipDone answers its Add before it skips.
func skipDone(urls []string) {
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Add(1)
		if u == "" {
			wg.Done()
			continue
		}
		go func() {
			defer wg.Done()
			fetch(u)
		}()
	}
	wg.Wait()
}

// everyPath calls Done on each way out.
func everyPath(n int) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		if err := job(n); err != nil {
			wg.Done()
			return
		}
		work(n)
		wg.Done()
	}()
	wg.Wait()
}

func worker(wg *sync.WaitGroup, jobs <-chan int) {
	defer wg.Done()
	for j := range jobs {
		work(j)
	}
}

// startWorkers hands the WaitGroup to a function this check cannot count.
func startWorkers(jobs <-chan int) {
	var wg sync.WaitGroup
	wg.Add(4)
	for range 4 {
		go worker(&wg, jobs)
	}
	wg.Wait()
}

// tryStart returns before it starts anything, but nobody waits on a local
// WaitGroup it never waits on itself.
func tryStart(urls []string) error {
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Add(1)
		if u == "" {
			return errors.New("empty URL")
		}
		go func() {
			defer wg.Done()
			fetch(u)
		}()
	}
	return nil
}

// countingReader calls Done when it is first closed; a second Close returns
// early on purpose.
type countingReader struct {
	wg     *sync.WaitGroup
	closed bool
}

func (r *countingReader) Close() error {
	if r.closed {
		return errors.New("already closed")
	}
	r.closed = true
	r.wg.Done()
	return nil
}

type monitor struct{ wg sync.WaitGroup }

func (m *monitor) start() { m.wg.Add(1) }

// churn starts and stops a monitor until told to quit: each Done answers
// the Add of its own iteration, and the return owes nothing.
func churn(m *monitor, quit <-chan struct{}) {
	go func() {
		for {
			select {
			case <-quit:
				return
			default:
			}
			m.start()
			m.wg.Done()
		}
	}()
}
