package fetch_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
	"go.uber.org/goleak"
)

// TestCloseClosesConnections: when Close returns, every
// connection the Client dialled has been closed, wherever it was: idle in
// the pool, cut off mid-body, or still in its TLS handshake with a server
// that never answers. The server side sees each one closed at that moment,
// without waiting, and goleak then finds nothing left of the Client.
func TestCloseClosesConnections(t *testing.T) {
	// Each server reads one request (or a ClientHello), answers it or not,
	// and then reads no more, so that peerOpen is the only reader.
	parked := make(chan struct{})
	unpark := sync.OnceFunc(func() { close(parked) })
	hello := make(chan struct{}, 1)
	oneAnswer := func(raw string) func(net.Conn) {
		return func(conn net.Conn) {
			if raw != "" {
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				io.WriteString(conn, raw)
			} else if _, err := conn.Read(make([]byte, 64<<10)); err != nil {
				return
			} else {
				hello <- struct{}{}
			}
			<-parked
		}
	}
	idle := newRawServer(t, oneAnswer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	// Over the cap: the client stops reading and closes.
	big := newRawServer(t, oneAnswer("HTTP/1.1 200 OK\r\nContent-Length: 65536\r\n\r\n"+strings.Repeat("x", 64<<10)))
	// A TLS server that reads the ClientHello and never says a word.
	silent := newRawServer(t, oneAnswer(""))
	servers := []*rawServer{idle, big, silent}
	t.Cleanup(unpark) // before the servers close, which waits for serve

	c := newClient(t, fetch.WithMaxBodyBytes(1<<10))
	ctx := testContext(t)
	if _, err := c.Get(ctx, "http://"+idle.addr+"/"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "http://"+big.addr+"/"); !errors.Is(err, fetch.ErrBodyTooLarge) {
		t.Fatalf("Get = %v, want ErrBodyTooLarge", err)
	}
	handshaking := make(chan error, 1)
	if err := c.Go(ctx, "https://"+silent.addr+"/", func(_ *fetch.Response, err error) { handshaking <- err }); err != nil {
		t.Fatal(err)
	}
	within(t, hello, bound, "the ClientHello")

	// With one P, what Close only set in motion does not get to run before
	// the checks: what Close did not finish, they find undone.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	c.Close()
	var open []string
	for i, s := range servers {
		for _, conn := range s.accepted() {
			if peerOpen(t, conn) {
				open = append(open, []string{"idle", "cut off", "handshaking"}[i])
			}
		}
	}
	if len(open) > 0 {
		t.Errorf("Close returned with connections still open: %v", open)
	}
	if err := within(t, handshaking, bound, "the handshaking request"); !errors.Is(err, fetch.ErrClosed) {
		t.Errorf("the request in its handshake ended with %v, want ErrClosed", err)
	}
	unpark()
	for _, s := range servers {
		s.close()
	}
	goleak.VerifyNone(t)
}

// peerOpen reports whether the peer of conn has not closed it yet, without
// waiting: a non-blocking peek at the socket finds end-of-file, a reset, or
// nothing yet. conn must have no unread data.
func peerOpen(t *testing.T, conn net.Conn) bool {
	t.Helper()
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var (
		n    int
		rerr error
	)
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), make([]byte, 1), syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	})
	switch {
	case err != nil:
		t.Error(err)
	case rerr == syscall.EAGAIN:
		return true
	case rerr == nil && n > 0:
		t.Errorf("unread data on the connection from %v", conn.RemoteAddr())
	}
	return false // end-of-file, or a reset
}

// TestConnsForgotten: a connection the server closes leaves the Client's
// books, so that a long-running Client does not accumulate them.
func TestConnsForgotten(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "ok")
	})
	c := newClient(t)
	for range 20 {
		if _, err := c.Get(testContext(t), srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	// The transport closes each connection in its own goroutine, a moment
	// after the response: poll, within bound.
	deadline := time.Now().Add(bound)
	for fetch.OpenConns(c) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still tracked after their server closed them", fetch.OpenConns(c))
		}
		time.Sleep(time.Millisecond)
	}
}
