package lockx_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/leakproof/leakproof/chanx"
	"github.com/leakproof/leakproof/lockx"
)

// The classic leak is an early return between Lock and Unlock:
//
//	take := func(item string) error {
//		mu.Lock()
//		if stock[item] == 0 {
//			return fmt.Errorf("%s: out of stock", item) // mu stays locked
//		}
//		stock[item]--
//		mu.Unlock()
//		return nil
//	}
//
// The second call returns with mu held, and the third blocks forever. With
// Do the return leaves the function, and Do releases the lock.
func ExampleMutex() {
	var (
		mu    lockx.Mutex
		stock = map[string]int{"apple": 1}
	)
	take := func(item string) error {
		var err error
		mu.Do(func() {
			if stock[item] == 0 {
				err = fmt.Errorf("%s: out of stock", item)
				return // mu is released all the same
			}
			stock[item]--
		})
		return err
	}
	fmt.Println(take("apple"))
	fmt.Println(take("apple"))
	fmt.Println(take("apple"))
	// Output:
	// <nil>
	// apple: out of stock
	// apple: out of stock
}

// A holder that is stuck cannot take its waiters down with it: DoContext
// gives up when its context ends.
func ExampleMutex_DoContext() {
	var mu lockx.Mutex
	held, unstick, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		mu.Do(func() {
			close(held)
			<-unstick // stuck, say, on a network call with no timeout
		})
	}()
	<-held

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := mu.DoContext(ctx, func() { fmt.Println("not reached") })
	fmt.Println(err)

	close(unstick)
	<-done
	// Output:
	// context deadline exceeded
}

// A channel send inside f holds the lock for as long as the send blocks,
// forever if the receiver has gone away (kubernetes#1321, moby#28462):
//
//	mu.Do(func() {
//		pending = append(pending, ev)
//		events <- ev // nobody receives: mu is never released
//	})
//
// Either move the wait out of f, or bound it with a context.
func Example_blockingInsideF() {
	var (
		mu      lockx.Mutex
		pending []string
	)
	events := make(chan string) // the receiver has gone away
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()

	// The fix: record under the lock, send after it.
	mu.Do(func() { pending = append(pending, "a") })
	fmt.Println(chanx.Send(ctx, events, "a"))

	// Where the send must stay under the lock, bound it.
	var err error
	mu.Do(func() {
		pending = append(pending, "b")
		err = chanx.Send(ctx, events, "b")
	})
	fmt.Println(err)

	fmt.Println("lock free:", mu.TryDo(func() {}))
	// Output:
	// context deadline exceeded
	// context deadline exceeded
	// lock free: true
}

// Many readers share an RWMutex; a writer has it alone.
func ExampleRWMutex() {
	var (
		mu     lockx.RWMutex
		config = map[string]string{"mode": "fast"}
	)
	lookup := func(key string) (v string) {
		mu.RDo(func() { v = config[key] })
		return v
	}
	set := func(ctx context.Context, key, v string) error {
		return mu.DoContext(ctx, func() { config[key] = v })
	}

	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { _ = lookup("mode") })
	}
	wg.Wait()
	if err := set(context.Background(), "mode", "safe"); err != nil {
		fmt.Println(err)
	}
	fmt.Println(lookup("mode"))
	// Output:
	// safe
}

// A Guarded value cannot be reached without its lock, so it cannot be
// touched by mistake without it either. Readers share it with RDo.
func ExampleGuarded() {
	hits := lockx.NewGuarded(map[string]int{})
	var wg sync.WaitGroup
	for _, page := range []string{"/", "/about", "/"} {
		wg.Go(func() {
			hits.Do(func(m *map[string]int) { (*m)[page]++ })
		})
	}
	wg.Wait()
	hits.RDo(func(m *map[string]int) {
		fmt.Println((*m)["/"], (*m)["/about"])
	})
	// Output:
	// 2 1
}

// DoWhen waits for a condition on the guarded state. Every critical
// section that may change the state makes the condition be looked at
// again, so there is no Signal to forget, or to send before anyone waits
// (kubernetes#58107); and a context bounds the wait where a sync.Cond.Wait
// that nobody signals hangs forever (moby#30408).
func ExampleGuarded_DoWhen() {
	type account struct{ balance int }
	acct := lockx.NewGuarded(account{})
	// README: DoWhen
	withdraw := func(ctx context.Context, amount int) error {
		return acct.DoWhen(ctx,
			func(a *account) bool { return a.balance >= amount },
			func(a *account) { a.balance -= amount })
	}
	// README: end

	done := make(chan error)
	go func() { done <- withdraw(context.Background(), 30) }()
	for range 3 {
		acct.Do(func(a *account) { a.balance += 10 })
	}
	fmt.Println(<-done)
	acct.RDo(func(a *account) { fmt.Println("balance:", a.balance) })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println(withdraw(ctx, 100))
	// Output:
	// <nil>
	// balance: 0
	// context deadline exceeded
}
