package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/leakproof/leakproof/chanx"
	"github.com/leakproof/leakproof/fetch"
	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/lockx"
)

// Each pitfall is written twice: the plain version is the leaky code as it
// appears in real projects, the leakproof version the refactor. The README
// quotes the code between the "README:" markers verbatim, and a test checks
// that it still does.

// query stands for a replica that answers after d and, like much real code,
// ignores its context.
func query(d time.Duration, answer string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		time.Sleep(d)
		return answer, nil
	}
}

var replicas = []func(context.Context) (string, error){
	query(1*time.Millisecond, "fast"),
	query(5*time.Millisecond, "medium"),
	query(20*time.Millisecond, "slow"),
}

//leakvet:ignore fanout deliberate: the demo counts the goroutines the plain version leaves behind
func fanOutPlain(ctx context.Context) string {
	var answer string
	for range 4 {
		// README: fan-out before
		results := make(chan string) // unbuffered
		for _, q := range replicas {
			go func() {
				v, _ := q(ctx)
				results <- v // every sender but the first blocks forever
			}()
		}
		answer = <-results
		// README: end
	}
	return answer
}

func fanOutLeakproof(ctx context.Context) (string, error) {
	var answer string
	for range 4 {
		// README: fan-out after
		v, err := group.First(ctx, replicas...)
		if err != nil {
			return "", err
		}
		answer = v
		// README: end
	}
	return answer, nil
}

//leakvet:ignore nilchan deliberate: the demo counts the goroutines the plain version leaves behind
func nilSendPlain() {
	// README: nil send before
	var results chan int // never made
	for i := range 10 {
		go func() {
			results <- i // blocks forever: a send on a nil channel
		}()
	}
	// README: end
}

func nilSendLeakproof(ctx context.Context) error {
	// README: nil send after
	var results chan int // never made
	errs := make(chan error, 10)
	for i := range 10 {
		go func() {
			errs <- chanx.Send(ctx, results, i) // chanx.ErrNilChannel, at once
		}()
	}
	// README: end
	return gather(errs, 10, chanx.ErrNilChannel)
}

//leakvet:ignore nilchan deliberate: the demo counts the goroutines the plain version leaves behind
func nilRecvPlain() {
	// README: nil recv before
	var results chan int // never made
	for range 10 {
		go func() {
			v := <-results // blocks forever: a receive on a nil channel
			_ = v
		}()
	}
	// README: end
}

func nilRecvLeakproof(ctx context.Context) error {
	// README: nil recv after
	var results chan int // never made
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			_, err := chanx.Recv(ctx, results) // chanx.ErrNilChannel, at once
			errs <- err
		}()
	}
	// README: end
	return gather(errs, 10, chanx.ErrNilChannel)
}

// gather collects n results from errs and checks each is want.
func gather(errs <-chan error, n int, want error) error {
	for range n {
		if err := <-errs; !errors.Is(err, want) {
			return fmt.Errorf("got %v, want %v", err, want)
		}
	}
	return nil
}

var errNegative = errors.New("negative amount")

//leakvet:ignore unlock deliberate: the demo counts the goroutines the plain version leaves behind
func lockPlain() {
	var (
		mu    sync.Mutex
		total int
	)
	// README: lock before
	add := func(n int) error {
		mu.Lock()
		if n < 0 {
			return errNegative // returns holding the lock
		}
		total += n
		mu.Unlock()
		return nil
	}
	// README: end
	_ = add(-1) // one bad input, and every later add blocks forever
	for range 10 {
		go add(1)
	}
}

func lockLeakproof() (int, error) {
	var (
		mu    lockx.Mutex
		total int
	)
	// README: lock after
	add := func(n int) (err error) {
		mu.Do(func() {
			if n < 0 {
				err = errNegative // Do unlocks however f returns
				return
			}
			total += n
		})
		return err
	}
	// README: end
	_ = add(-1)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { add(1) })
	}
	wg.Wait()
	var got int
	mu.Do(func() { got = total })
	if got != 10 {
		return got, fmt.Errorf("total %d, want 10", got)
	}
	return got, nil
}

//leakvet:ignore wgdrift deliberate: the demo counts the goroutines the plain version leaves behind
func waitGroupPlain() {
	// README: wait group before
	var wg sync.WaitGroup
	wg.Add(5)
	for range 3 {
		go func() {
			defer wg.Done()
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait() // blocks forever: two Adds are never matched
		close(done)
	}()
	// README: end
}

// waitGroupLeakproof returns the drift report WaitContext gave.
func waitGroupLeakproof(ctx context.Context) (string, error) {
	// README: wait group after
	var g group.Group
	g.Add(5)
	for range 3 {
		go func() {
			defer g.Done()
		}()
	}
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := g.WaitContext(ctx) // a *group.DriftError: Pending 2, and the Add's file:line
	// README: end
	var drift *group.DriftError
	if !errors.As(err, &drift) || drift.Pending != 2 {
		return "", fmt.Errorf("WaitContext = %v, want a DriftError with 2 pending", err)
	}
	return err.Error(), nil
}

//leakvet:ignore httptimeout deliberate: the demo counts the goroutines the plain version leaves behind
func tickPlain(url string, ticks int, every time.Duration) {
	// README: tick before
	client := &http.Client{} // like http.DefaultClient: no timeout
	tick := time.NewTicker(every)
	defer tick.Stop()
	for range ticks {
		<-tick.C
		go func() {
			resp, err := client.Get(url) // waits forever on a server that never answers
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	// README: end
}

// tickLeakproof returns how many ticks found the client saturated. Close,
// deferred, has run by the time it returns, so every handle call has too.
func tickLeakproof(ctx context.Context, url string, ticks int, every time.Duration, handle func(*fetch.Response, error)) (saturated int) {
	// README: tick after
	client := fetch.New(fetch.WithMaxInFlight(8), fetch.WithTimeout(200*time.Millisecond))
	defer client.Close() // waits for the callbacks, closes idle connections
	tick := time.NewTicker(every)
	defer tick.Stop()
	for range ticks {
		<-tick.C
		// A slot first, then the goroutine: at most 8 requests at once, each
		// cut off after 200ms. A full client refuses with fetch.ErrSaturated.
		if err := client.TryGo(ctx, url, handle); errors.Is(err, fetch.ErrSaturated) {
			saturated++
		}
	}
	// README: end
	return saturated
}
