package chanx_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leakproof/leakproof/chanx"
)

func ExampleRecv() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()

	results := make(chan string) // nobody will ever send
	_, err := chanx.Recv(ctx, results)
	fmt.Println(err)

	var never chan string // never made
	_, err = chanx.Recv(context.Background(), never)
	fmt.Println(err)
	// Output:
	// context deadline exceeded
	// chanx: nil channel
}

func ExampleTrySend() {
	// A wake-up signal that must never block its sender: if a wake-up is
	// already pending, another adds nothing.
	wake := make(chan struct{}, 1)
	fmt.Println(chanx.TrySend(wake, struct{}{}))
	fmt.Println(chanx.TrySend(wake, struct{}{}))
	// Output:
	// <nil>
	// chanx: would block
}

var errShutDown = errors.New("worker shut down")

// worker is a component with a lifetime of its own: life ends when it shuts
// down, whatever its callers are doing.
type worker struct {
	life     context.Context
	shutDown context.CancelFunc
	jobs     chan string
}

// submit waits for the worker to take job until the caller gives up or the
// worker shuts down, whichever comes first. context.AfterFunc joins the two
// without a goroutine; the cause says which one ended the wait.
func (w *worker) submit(ctx context.Context, job string) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(w.life, func() { cancel(errShutDown) })
	defer stop()
	if err := chanx.Send(ctx, w.jobs, job); err != nil {
		return context.Cause(ctx)
	}
	return nil
}

// Example_stopper shows the idiom for "the caller's ctx OR this component's
// shutdown".
func Example_stopper() {
	life, shutDown := context.WithCancel(context.Background())
	w := &worker{life: life, shutDown: shutDown, jobs: make(chan string)} // nobody is taking jobs

	caller, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	fmt.Println(w.submit(caller, "a")) // the caller gives up first

	w.shutDown()
	fmt.Println(w.submit(context.Background(), "b")) // the worker has shut down
	// Output:
	// context deadline exceeded
	// worker shut down
}
