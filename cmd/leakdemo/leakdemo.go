// Command leakdemo runs each classic goroutine leak twice in one process,
// first written the leaky way in plain Go, then with leakproof, and prints
// how many goroutines each version left behind.
//
//	go run ./cmd/leakdemo
//	go run ./cmd/leakdemo -json
//
// Where the runtime has the goroutineleak profile (Go 1.27, or Go 1.26 built
// with GOEXPERIMENT=goroutineleakprofile) it adds how many of the goroutines
// left the runtime proves leaked. It exits 1 if a leakproof version leaves
// anything behind.
//
// The plain versions really leak: their goroutines stay blocked until the
// process exits. The demo never waits on them, so it cannot hang.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/leakproof/leakproof/fetch"
	"github.com/leakproof/leakproof/internal/leakprofile"
)

// Version is one run of a pitfall.
type Version struct {
	// Left is how many goroutines the run left behind once it settled.
	Left int `json:"goroutines_left"`
	// RuntimeLeaks is how many of them the runtime's goroutineleak profile
	// proves leaked, present only when the binary has the profile.
	RuntimeLeaks *int `json:"runtime_leaks,omitempty"`
	// Took is how long the run took, settling excluded.
	Took time.Duration `json:"took_ns"`
	// Note is what the run reported, if anything: a drift report, how many
	// requests found the client saturated.
	Note string `json:"note,omitempty"`
	// Err is set if the run did not do what it should have.
	Err string `json:"error,omitempty"`
}

// Row is one pitfall, run both ways.
type Row struct {
	Pitfall   string  `json:"pitfall"`
	Plain     Version `json:"plain"`
	Leakproof Version `json:"leakproof"`
}

func main() {
	asJSON := flag.Bool("json", false, "print the rows as JSON")
	flag.Parse()
	rows, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "leakdemo:", err)
		os.Exit(2)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	} else {
		printTable(os.Stdout, rows)
	}
	for _, r := range rows {
		if failed(r.Leakproof) {
			os.Exit(1)
		}
	}
}

func failed(v Version) bool {
	return v.Left != 0 || v.Err != "" || (v.RuntimeLeaks != nil && *v.RuntimeLeaks != 0)
}

// run runs the six pitfalls, each plain then leakproof.
func run() ([]Row, error) {
	ctx := context.Background()

	// Servers that never answer: each handler waits until its client goes
	// away. The plain one is never closed: its handlers are part of what
	// the plain version leaks.
	plainURL, _, err := hang()
	if err != nil {
		return nil, err
	}
	leakproofURL, leakproofServer, err := hang()
	if err != nil {
		return nil, err
	}
	defer leakproofServer.Close() // closes its connections, so its handlers return

	const ticks, every = 100, 10 * time.Millisecond // about a second of ticks

	var timeouts, closed atomic.Int64
	handle := func(_ *fetch.Response, err error) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			timeouts.Add(1)
		case errors.Is(err, fetch.ErrClosed):
			closed.Add(1)
		}
	}

	return []Row{
		{
			Pitfall:   "fan-out, one receive (3 queries x 4 rounds)",
			Plain:     measure(func() (string, error) { fanOutPlain(ctx); return "", nil }),
			Leakproof: measure(func() (string, error) { _, err := fanOutLeakproof(ctx); return "", err }),
		},
		{
			Pitfall:   "send on a nil channel",
			Plain:     measure(func() (string, error) { nilSendPlain(); return "", nil }),
			Leakproof: measure(func() (string, error) { return "", nilSendLeakproof(ctx) }),
		},
		{
			Pitfall:   "receive on a nil channel",
			Plain:     measure(func() (string, error) { nilRecvPlain(); return "", nil }),
			Leakproof: measure(func() (string, error) { return "", nilRecvLeakproof(ctx) }),
		},
		{
			Pitfall:   "lock without unlock (10 adders)",
			Plain:     measure(func() (string, error) { lockPlain(); return "", nil }),
			Leakproof: measure(func() (string, error) { _, err := lockLeakproof(); return "", err }),
		},
		{
			Pitfall:   "Add(5) with three Done",
			Plain:     measure(func() (string, error) { waitGroupPlain(); return "", nil }),
			Leakproof: measure(func() (string, error) { return waitGroupLeakproof(ctx) }),
		},
		{
			Pitfall: "goroutine per tick, server never answers",
			Plain:   measure(func() (string, error) { tickPlain(plainURL, ticks, every); return "", nil }),
			Leakproof: measure(func() (string, error) {
				saturated := tickLeakproof(ctx, leakproofURL, ticks, every, handle)
				return fmt.Sprintf("%d of %d ticks sent a request (%d timed out after 200ms, %d were cancelled by Close); %d found the client saturated and sent none",
					ticks-saturated, ticks, timeouts.Load(), closed.Load(), saturated), nil
			}),
		},
	}, nil
}

// hang starts a server on a loopback port whose handlers wait until their
// client goes away, and returns its URL. It is not net/http/httptest's
// server: on Go 1.27 httptest links package testing, which the demo, a
// program, must not.
func hang() (url string, srv *http.Server, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})}
	go srv.Serve(l) // returns when srv is closed
	return "http://" + l.Addr().String(), srv, nil
}

// measure runs f and counts the goroutines it left behind once they
// settle, and, where the binary has the profile, how many of those the
// runtime proves leaked.
func measure(f func() (note string, err error)) Version {
	before := ids(leakprofile.Stacks())
	start := time.Now()
	note, err := f()
	v := Version{Took: time.Since(start), Note: note}
	if err != nil {
		v.Err = err.Error()
	}
	v.Left = settle(len(before)) - len(before)
	if all, ok := leakprofile.Detect(); ok {
		n := 0
		for _, g := range all {
			if g.Leaked && !before[g.ID] {
				n++
			}
		}
		v.RuntimeLeaks = &n
	}
	return v
}

// ids returns the ids of all.
func ids(all []leakprofile.Goroutine) map[uint64]bool {
	m := make(map[uint64]bool, len(all))
	for _, g := range all {
		m[g.ID] = true
	}
	return m
}

// settle waits for the goroutine count to come back to before, or to hold
// still for a while, and returns it. Goroutines that are about to exit (a
// First loser finishing its query, a server handler seeing its client go)
// are not leaks; goroutines blocked forever hold the count still.
func settle(before int) int {
	const still, limit = 300 * time.Millisecond, 3 * time.Second
	n, since, deadline := runtime.NumGoroutine(), time.Now(), time.Now().Add(limit)
	for n != before && time.Since(since) < still && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if m := runtime.NumGoroutine(); m != n {
			n, since = m, time.Now()
		}
	}
	return n
}

func printTable(w io.Writer, rows []Row) {
	profile := leakprofile.Available()
	side := []string{"goroutines left", "time"}
	if profile {
		side = []string{"goroutines left", "proven leaked", "time"}
	}
	head := append(append([]string{"pitfall"}, side...), side...)
	table := [][]string{head}
	for _, r := range rows {
		line := []string{r.Pitfall}
		for _, v := range []Version{r.Plain, r.Leakproof} {
			line = append(line, fmt.Sprint(v.Left))
			if profile {
				line = append(line, fmt.Sprint(*v.RuntimeLeaks))
			}
			line = append(line, duration(v.Took))
		}
		table = append(table, line)
	}
	width := make([]int, len(head))
	for _, line := range table {
		for i, cell := range line {
			width[i] = max(width[i], len(cell))
		}
	}
	// The line above the header names each side over its columns.
	span := -2
	for _, wd := range width[1 : 1+len(side)] {
		span += 2 + wd
	}
	fmt.Fprintf(w, "%-*s  %-*s  %s\n", width[0], "", span, "plain Go", "leakproof")
	for _, line := range table {
		fmt.Fprintf(w, "%-*s", width[0], line[0])
		for i, cell := range line[1:] {
			fmt.Fprintf(w, "  %*s", width[i+1], cell)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "goroutines left: goroutines still alive once the row settled.")
	if profile {
		fmt.Fprintln(w, "proven leaked: of those, the ones the runtime's goroutineleak profile proves stuck forever; it cannot see a wait on a network connection.")
	}
	fmt.Fprintln(w, "time: how long the row ran. Plain code returns at once and leaves goroutines blocked; leakproof waits, bounded (WaitContext: 50ms).")

	var notes []string
	for _, r := range rows {
		for _, v := range []struct{ side, note, err string }{
			{"plain", r.Plain.Note, r.Plain.Err}, {"leakproof", r.Leakproof.Note, r.Leakproof.Err},
		} {
			if v.err != "" {
				notes = append(notes, fmt.Sprintf("%s, %s: error: %s", r.Pitfall, v.side, v.err))
			}
			if v.note != "" {
				notes = append(notes, fmt.Sprintf("%s, %s: %s", r.Pitfall, v.side, v.note))
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "What the rows reported:")
		for _, n := range notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
	if !profile {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Build with GOEXPERIMENT=goroutineleakprofile (Go 1.26) or run on Go 1.27 to add the runtime's own leak count:")
		fmt.Fprintln(w, "  GOEXPERIMENT=goroutineleakprofile go run ./cmd/leakdemo")
	}
}

// duration rounds d for the table.
func duration(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
