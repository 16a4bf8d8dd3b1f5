// Package fanoutlp imports leakproof already, so the first-answer shape is
// fixed with group.First.
package fanoutlp

import (
	"context"

	"github.com/leakproof/leakproof/group"
)

func replica(answer string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return answer, nil }
}

var replicas = []func(context.Context) (string, error){replica("a"), replica("b"), replica("c")}

// query asks every replica and keeps the first answer.
func query(ctx context.Context) string {
	var answer string
	// Ask all three: the fastest wins.
	results := make(chan string) // want `goroutines started in the loop on line 22 send on unbuffered channel results, and it is received once`
	for _, q := range replicas {
		go func() {
			v, _ := q(ctx)
			results <- v // every sender but the first blocks forever
		}()
	}
	answer = <-results
	return answer
}

// best is the same shape with a short variable declaration.
func best(ctx context.Context, backends []func(context.Context) (string, error)) string {
	out := make(chan string) // want `received once`
	for _, b := range backends {
		go func() {
			v, _ := b(ctx)
			out <- v
		}()
	}
	v := <-out
	return v
}

// lengths is not the first-answer shape: it gets a buffer, not First.
func lengths(words []string) int {
	ch := make(chan int) // want `received once`
	for _, w := range words {
		go func() { ch <- len(w) }()
	}
	return <-ch
}

// already uses First.
func already(ctx context.Context) (string, error) {
	return group.First(ctx, replicas...)
}
