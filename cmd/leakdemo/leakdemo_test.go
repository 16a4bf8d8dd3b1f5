package main

import (
	"encoding/json"
	"os"
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
		json.NewEncoder(os.Stdout).Encode(run())
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
	}
}
