// Package fanout holds goroutines started in a loop that send on an
// unbuffered channel received fewer times than they send, and look-alikes
// that are fine. It imports no leakproof package, so the fixes buffer the
// channel.
package fanout

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
)

func lookup(ctx context.Context, mirror string) string { return "answer from " + mirror }

// fastest asks every mirror and returns the first answer.
func fastest(ctx context.Context, mirrors []string) string {
	answers := make(chan string) // want `goroutines started in the loop on line \d+ send on unbuffered channel answers, and it is received once \(line \d+\)`
	for _, m := range mirrors {
		go func() {
			answers <- lookup(ctx, m)
		}()
	}
	return <-answers
}

var errEmpty = errors.New("empty path")

func check(path string) error {
	if path == "" {
		return errEmpty
	}
	return nil
}

// checkAll returns the first error of checking every path.
func checkAll(paths []string) error {
	errc := make(chan error) // want `the receive loop can leave early \(the return on line \d+\)`
	for _, p := range paths {
		go func() { errc <- check(p) }()
	}
	for range paths {
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

func size(url string) int { return len(url) }

// sizes measures every URL, unless ctx ends first.
func sizes(ctx context.Context, urls []string) ([]int, error) {
	results := make(chan int) // want `the receive loop can leave early`
	for i := 0; i < len(urls); i++ {
		go func() { results <- size(urls[i]) }()
	}
	var out []int
	for range urls {
		select {
		case n := <-results:
			out = append(out, n)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// firstTwo starts three shards and keeps the first two answers.
func firstTwo() (int, int) {
	ch := make(chan int) // want `it is received only 2 times`
	for i := range 3 {
		go func() { ch <- i * i }()
	}
	return <-ch, <-ch
}

// grep reads every file's lines until it finds an empty one. Each goroutine
// sends many lines, so no buffer of the loop's length would do: no fix.
func grep(files []string) int {
	lines := make(chan string) // want `the receive loop can leave early \(the break on line \d+\)`
	for _, f := range files {
		go func() {
			for _, l := range strings.Split(f, "\n") {
				lines <- l
			}
		}()
	}
	n := 0
	for l := range lines {
		if l == "" {
			break
		}
		n++
	}
	return n
}

// fastestBuffered has room for every answer: the losers' sends complete.
func fastestBuffered(ctx context.Context, mirrors []string) string {
	answers := make(chan string, len(mirrors))
	for _, m := range mirrors {
		go func() { answers <- lookup(ctx, m) }()
	}
	return <-answers
}

// checkEvery receives every result before it returns.
func checkEvery(paths []string) error {
	errc := make(chan error)
	for _, p := range paths {
		go func() { errc <- check(p) }()
	}
	var errs []error
	for range paths {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}

// firstOrCancel's senders give up when ctx ends, which the caller ensures.
func firstOrCancel(ctx context.Context, mirrors []string) string {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answers := make(chan string)
	for _, m := range mirrors {
		go func() {
			select {
			case answers <- lookup(ctx, m):
			case <-ctx.Done():
			}
		}()
	}
	return <-answers
}

// sum ranges over a channel closed once every sender is done.
func sum(xs []int) int {
	out := make(chan int)
	var wg sync.WaitGroup
	for _, x := range xs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out <- x * 2
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	total := 0
	for {
		v, ok := <-out
		if !ok {
			return total
		}
		total += v
	}
}

// runEach makes a channel per job: one sender, one receive each.
func runEach(jobs []func() error) error {
	for _, job := range jobs {
		done := make(chan error)
		go func() { done <- job() }()
		if err := <-done; err != nil {
			return err
		}
	}
	return nil
}

// both starts exactly as many goroutines as it receives from.
func both() (int, int) {
	ch := make(chan int)
	for i := range 2 {
		go func() { ch <- i }()
	}
	return <-ch, <-ch
}

// serve hands the channel to a consumer this function cannot see.
func serve(reqs []string, consume func(<-chan string)) {
	ch := make(chan string)
	for _, r := range reqs {
		go func() { ch <- r }()
	}
	consume(ch)
}

// supervise returns once every worker has reported: the return is guarded
// by the count of receives.
func supervise(ctx context.Context, jobs []string) error {
	errc := make(chan error)
	for _, j := range jobs {
		go func() { errc <- check(j) }()
	}
	active := len(jobs)
	var first error
	for {
		select {
		case err := <-errc:
			if first == nil {
				first = err
			}
			active--
			if active == 0 {
				return first
			}
		case <-ctx.Done():
			first = ctx.Err()
		}
	}
}

// lastOneOut: only the goroutine that brings the count to n sends.
func lastOneOut(n int) {
	done := make(chan bool)
	var arrived atomic.Int32
	for range n {
		go func() {
			if arrived.Add(1) == int32(n) {
				done <- true
			}
		}()
	}
	<-done
}

// resolve gives up on a slow lookup; the lookup's goroutine then blocks on
// its send forever.
func resolve(ctx context.Context, name string) (string, error) {
	addr := make(chan string) // want `the goroutine started on line \d+ sends once on unbuffered channel addr, which only one case of the select on line \d+ receives`
	go func() {
		addr <- lookup(ctx, name)
	}()
	select {
	case a := <-addr:
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// tryCheck does not wait at all when the check is not done yet.
func tryCheck(path string) error {
	errc := make(chan error) // want `sends once on unbuffered channel errc`
	go func() { errc <- check(path) }()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// resolveDrained receives in its other case too.
func resolveDrained(ctx context.Context, name string) string {
	addr := make(chan string)
	go func() { addr <- lookup(ctx, name) }()
	select {
	case a := <-addr:
		return a
	case <-ctx.Done():
		return <-addr
	}
}

// waitLogging keeps selecting until the answer comes.
func waitLogging(ctx context.Context, name string, tick <-chan struct{}) string {
	addr := make(chan string)
	go func() { addr <- lookup(ctx, name) }()
	for {
		select {
		case a := <-addr:
			return a
		case <-tick:
			println("still waiting for", name)
		}
	}
}

// collectLabelled skips the nil results with a labelled continue of its own
// receive loop, which goes on receiving: every sender is received.
func collectLabelled(paths []string) []error {
	errc := make(chan error)
	for _, p := range paths {
		go func() { errc <- check(p) }()
	}
	var errs []error
recv:
	for range paths {
		err := <-errc
		if err == nil {
			continue recv
		}
		errs = append(errs, err)
	}
	return errs
}

// firstErrors moves on to the next batch at a batch's first error, with a
// continue of the outer loop: the batch's other senders block forever.
func firstErrors(batches [][]string) []error {
	var errs []error
batch:
	for _, paths := range batches {
		errc := make(chan error) // want `the receive loop can leave early \(the continue on line \d+\)`
		for _, p := range paths {
			go func() { errc <- check(p) }()
		}
		for range paths {
			if err := <-errc; err != nil {
				errs = append(errs, err)
				continue batch
			}
		}
	}
	return errs
}
