package chanx_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/chanx"
	"github.com/leakproof/leakproof/internal/testenv"
)

// Tests that could block run in a synctest bubble: if a goroutine in the
// bubble blocks forever, synctest.Test fails at once with a deadlock report
// instead of letting the suite time out.

func TestNilChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		var ch chan int
		if err := chanx.Send(ctx, ch, 1); err != chanx.ErrNilChannel {
			t.Errorf("Send(nil) = %v, want ErrNilChannel", err)
		}
		if v, err := chanx.Recv(ctx, ch); err != chanx.ErrNilChannel || v != 0 {
			t.Errorf("Recv(nil) = %v, %v, want 0, ErrNilChannel", v, err)
		}
		if err := chanx.TrySend(ch, 1); err != chanx.ErrNilChannel {
			t.Errorf("TrySend(nil) = %v, want ErrNilChannel", err)
		}
		if v, err := chanx.TryRecv(ch); err != chanx.ErrNilChannel || v != 0 {
			t.Errorf("TryRecv(nil) = %v, %v, want 0, ErrNilChannel", v, err)
		}
		// A nil channel is reported even when ctx has ended: the bug is the
		// channel, whatever the caller's deadline.
		done, cancel := context.WithCancel(ctx)
		cancel()
		if err := chanx.Send(done, ch, 1); err != chanx.ErrNilChannel {
			t.Errorf("Send(nil) with ended ctx = %v, want ErrNilChannel", err)
		}
	})
}

// TestNilChannelPitfall is the pitfall as it appears in real code: many
// goroutines sending on and receiving from a channel that was never made.
// With plain sends every one of them would block forever.
func TestNilChannelPitfall(t *testing.T) {
	before := runtime.NumGoroutine()
	synctest.Test(t, func(t *testing.T) {
		var ch chan int // never made
		errs := make(chan error, 200)
		for i := range 100 {
			go func() { errs <- chanx.Send(context.Background(), ch, i) }()
			go func() {
				_, err := chanx.Recv(context.Background(), ch)
				errs <- err
			}()
		}
		for range 200 {
			if err := <-errs; err != chanx.ErrNilChannel {
				t.Fatalf("got %v, want ErrNilChannel", err)
			}
		}
	})
	testenv.CheckGoroutines(t, before)
}

func TestNilContextPanics(t *testing.T) {
	ch := make(chan int, 1)
	for name, f := range map[string]func(){
		"chanx: Send: nil Context": func() { chanx.Send(nil, ch, 1) }, //lint:ignore SA1012 the nil Context is the test
		"chanx: Recv: nil Context": func() { chanx.Recv(nil, ch) },    //lint:ignore SA1012 the nil Context is the test
	} {
		if got := testenv.PanicValue(f); got != name {
			t.Errorf("panic = %v, want %q", got, name)
		}
	}
}

func TestSendOnClosedPanics(t *testing.T) {
	ch := make(chan int, 1)
	close(ch)
	for name, f := range map[string]func(){
		"Send":    func() { chanx.Send(context.Background(), ch, 1) },
		"TrySend": func() { chanx.TrySend(ch, 1) },
	} {
		err, ok := testenv.PanicValue(f).(error)
		if !ok || err.Error() != "send on closed channel" {
			t.Errorf("%s on a closed channel: panic = %v, want the runtime's send on closed channel", name, err)
		}
	}
}

// TestConsumerCancels is the producer left behind: its consumer walks away
// and cancels, and the producer's Send must return context.Canceled rather
// than block forever.
func TestConsumerCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		ch := make(chan int)
		produced := make(chan error, 1)
		go func() {
			for i := 0; ; i++ {
				if err := chanx.Send(ctx, ch, i); err != nil {
					produced <- err
					return
				}
			}
		}()
		for range 3 {
			if _, err := chanx.Recv(ctx, ch); err != nil {
				t.Fatal(err)
			}
		}
		cancel() // the consumer walks away
		if err := <-produced; !errors.Is(err, context.Canceled) {
			t.Errorf("producer ended with %v, want context.Canceled", err)
		}
	})
}

func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		ch := make(chan int) // nobody sends or receives
		if _, err := chanx.Recv(ctx, ch); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Recv = %v, want DeadlineExceeded", err)
		}
		if err := chanx.Send(ctx, ch, 1); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("gave up after %v, want 1s", d)
		}
	})
}

// TestEndedContextWins: once ctx has ended, a ready channel is not touched.
func TestEndedContextWins(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ch := make(chan int, 1)
	for range 100 { // a random choice would let some through
		if err := chanx.Send(ctx, ch, 1); err != context.Canceled {
			t.Fatalf("Send = %v, want context.Canceled", err)
		}
	}
	if len(ch) != 0 {
		t.Fatal("Send sent after ctx ended")
	}
	ch <- 7
	for range 100 {
		if v, err := chanx.Recv(ctx, ch); err != context.Canceled || v != 0 {
			t.Fatalf("Recv = %v, %v, want 0, context.Canceled", v, err)
		}
	}
	if len(ch) != 1 {
		t.Fatal("Recv received after ctx ended")
	}
}

func TestRecvDrainsBeforeClosed(t *testing.T) {
	ctx := context.Background()
	ch := make(chan int, 3)
	ch <- 1
	ch <- 2
	close(ch)
	for _, want := range []int{1, 2} {
		if v, err := chanx.Recv(ctx, ch); v != want || err != nil {
			t.Fatalf("Recv = %v, %v, want %v, nil", v, err, want)
		}
	}
	for range 2 {
		if v, err := chanx.Recv(ctx, ch); v != 0 || err != chanx.ErrClosed {
			t.Fatalf("Recv on drained channel = %v, %v, want 0, ErrClosed", v, err)
		}
	}
	ch2 := make(chan string, 1)
	ch2 <- "x"
	close(ch2)
	if v, err := chanx.TryRecv(ch2); v != "x" || err != nil {
		t.Fatalf("TryRecv = %q, %v, want x, nil", v, err)
	}
	if v, err := chanx.TryRecv(ch2); v != "" || err != chanx.ErrClosed {
		t.Fatalf("TryRecv on drained channel = %q, %v, want \"\", ErrClosed", v, err)
	}
}

func TestTry(t *testing.T) {
	ch := make(chan int, 1)
	if v, err := chanx.TryRecv(ch); err != chanx.ErrWouldBlock || v != 0 {
		t.Errorf("TryRecv(empty) = %v, %v, want 0, ErrWouldBlock", v, err)
	}
	if err := chanx.TrySend(ch, 5); err != nil {
		t.Errorf("TrySend = %v", err)
	}
	if err := chanx.TrySend(ch, 6); err != chanx.ErrWouldBlock {
		t.Errorf("TrySend(full) = %v, want ErrWouldBlock", err)
	}
	if v, err := chanx.TryRecv(ch); err != nil || v != 5 {
		t.Errorf("TryRecv = %v, %v, want 5, nil", v, err)
	}
	unbuffered := make(chan int)
	if err := chanx.TrySend(unbuffered, 1); err != chanx.ErrWouldBlock {
		t.Errorf("TrySend with no receiver = %v, want ErrWouldBlock", err)
	}
}

// TestUnbufferedHandoff: a Send blocked on an unbuffered channel completes
// when a Recv arrives, in either order.
func TestUnbufferedHandoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		ch := make(chan int)
		sent := make(chan error, 1)
		go func() { sent <- chanx.Send(ctx, ch, 42) }()
		synctest.Wait() // the sender is blocked in Send
		if v, err := chanx.Recv(ctx, ch); v != 42 || err != nil {
			t.Fatalf("Recv = %v, %v", v, err)
		}
		if err := <-sent; err != nil {
			t.Fatal(err)
		}
		got := make(chan int, 1)
		go func() {
			v, _ := chanx.Recv(ctx, ch)
			got <- v
		}()
		synctest.Wait() // the receiver is blocked in Recv
		if err := chanx.Send(ctx, ch, 43); err != nil {
			t.Fatal(err)
		}
		if v := <-got; v != 43 {
			t.Fatalf("Recv got %v, want 43", v)
		}
	})
}

// TestManyProducersOneConsumer: no value is lost or doubled.
func TestManyProducersOneConsumer(t *testing.T) {
	const producers, each = 8, 2000
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch := make(chan int, 4)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				if err := chanx.Send(ctx, ch, p*each+i); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(ch) }()
	seen := make([]bool, producers*each)
	for {
		v, err := chanx.Recv(ctx, ch)
		if err == chanx.ErrClosed {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if seen[v] {
			t.Fatalf("value %d received twice", v)
		}
		seen[v] = true
	}
	for v, ok := range seen {
		if !ok {
			t.Fatalf("value %d lost", v)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan int, 1)
	if n := testing.AllocsPerRun(1000, func() {
		chanx.Send(ctx, ch, 1)
		chanx.Recv(ctx, ch)
		chanx.TrySend(ch, 1)
		chanx.TryRecv(ch)
	}); n != 0 {
		t.Errorf("%v allocations per Send+Recv+TrySend+TryRecv, want 0", n)
	}
}

// BenchmarkSendRecv and BenchmarkSendRecvSelect compare a Send+Recv pair on
// a buffered channel with the select a careful programmer writes by hand.
func BenchmarkSendRecv(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan int, 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := chanx.Send(ctx, ch, i); err != nil {
			b.Fatal(err)
		}
		if _, err := chanx.Recv(ctx, ch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSendRecvSelect(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan int, 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		select {
		case ch <- i:
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		}
		select {
		case <-ch:
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		}
	}
}
