package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leakproof/leakproof/internal/testenv"
	"github.com/leakproof/leakproof/leaktest"
)

// TestDemo runs the demo in a child process, since its plain versions leak
// on purpose, and checks what it promises: every plain version leaves
// goroutines behind, every leakproof version leaves none, in the runtime's
// leak profile too when that is built in.
func TestDemo(t *testing.T) {
	if testenv.ChildMode() == "demo" {
		rows, err := run()
		if err != nil {
			t.Fatal(err)
		}
		json.NewEncoder(os.Stdout).Encode(rows)
		os.Exit(0) // before goleak sees what the plain versions left
	}
	if testing.Short() {
		t.Skip("the demo takes a few seconds")
	}
	start := time.Now()
	out, stderr, err := testenv.RunChild(t, "TestDemo", "demo")
	if err != nil {
		t.Fatalf("demo failed after %v: %v\n%s%s", time.Since(start), err, out, stderr)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("demo took %v, promised under 15s", took)
	}
	var rows []Row
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("demo output is not the rows: %v\n%s", err, out)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want the six pitfalls", len(rows))
	}
	for _, r := range rows {
		if r.Plain.Left == 0 || r.Plain.Err != "" {
			t.Errorf("%s: the plain version did not leak: %+v", r.Pitfall, r.Plain)
		}
		if failed(r.Leakproof) {
			t.Errorf("%s: the leakproof version left something behind: %+v", r.Pitfall, r.Leakproof)
		}
		if (r.Leakproof.RuntimeLeaks != nil) != leaktest.Available() {
			t.Errorf("%s: runtime leak count present = %v, want %v", r.Pitfall, r.Leakproof.RuntimeLeaks != nil, leaktest.Available())
		}
		if r.Plain.RuntimeLeaks != nil && *r.Plain.RuntimeLeaks > r.Plain.Left {
			t.Errorf("%s: the runtime proves %d leaked of %d left", r.Pitfall, *r.Plain.RuntimeLeaks, r.Plain.Left)
		}
	}
	// The notes the table prints under a heading are in the JSON too.
	for i, want := range map[int]string{4: "2 unmatched Add at ", 5: "found the client saturated"} {
		if note := rows[i].Leakproof.Note; !strings.Contains(note, want) {
			t.Errorf("%s: the leakproof note is %q, want it to say %q", rows[i].Pitfall, note, want)
		}
	}
}

// TestDeps keeps the demo a plain program: it must not link testing, the
// go command's os/exec or goleak, which is what a program that copied it
// would get.
func TestDeps(t *testing.T) {
	out, err := testenv.GoCommand(t, ".", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for dep := range strings.Lines(string(out)) {
		switch dep = strings.TrimSpace(dep); {
		case dep == "testing", dep == "os/exec", strings.HasPrefix(dep, "go.uber.org/goleak"):
			t.Errorf("cmd/leakdemo links %s", dep)
		}
	}
}
