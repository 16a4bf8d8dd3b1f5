package leakvet_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakproof/leakproof/leakvet/internal/cases"
)

// These tests run the command github.com/leakproof/leakproof/cmd/leakvet as
// users do: on its own, with -json, with -fix, and under go vet, over a
// copy of the cases.

// fixedPackages are the cases' packages whose positive cases all have
// fixes, and tests that fail (leak, hang or panic) until the fixes are
// applied.
var fixedPackages = []string{"./fanout", "./fanoutlp", "./unlock", "./wgdrift", "./wgdriftlp", "./httptimeout"}

// TestFixedCasesDoNotLeak proves the fixes: the cases' tests fail before
// leakvet -fix, and after it the code builds, vets and passes them, with
// leaktest's goroutine check in every package.
func TestFixedCasesDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a module in subprocesses")
	}
	bin := build(t)
	dir := cases.Copy(t)
	goCmd(t, dir, "build", "./...")

	out, err := goOut(dir, append([]string{"test", "-count=1", "-json"}, fixedPackages...)...)
	if err == nil {
		t.Fatalf("the unfixed cases passed their tests: the tests cannot tell a leak from a fix")
	}
	for _, pkg := range fixedPackages {
		if !packageFailed(out, "leakvet.test/"+strings.TrimPrefix(pkg, "./")) {
			t.Errorf("the unfixed cases of %s passed their tests", pkg)
		}
	}

	run(t, dir, bin, "-fix", "./...")
	errgroupMissing := !leakproofErrgroupExists(t)
	buildable := []string{"./..."}
	if errgroupMissing {
		buildable = append(fixedPackages, "./nilchan", "./ignore", "./harness")
	}
	goCmd(t, dir, append([]string{"build"}, buildable...)...)
	goCmd(t, dir, append([]string{"vet"}, fixedPackages...)...)
	goCmd(t, dir, append([]string{"test", "-count=1"}, fixedPackages...)...)

	// What is left has no fix: the cases reported without one.
	diags := leakvetJSON(t, bin, dir, buildable...)
	for _, d := range diags {
		if len(d.SuggestedFixes) > 0 {
			t.Errorf("%s: still reported with a fix after -fix: %s", d.Posn, d.Message)
		}
	}

	t.Run("errgroup", func(t *testing.T) {
		if errgroupMissing {
			t.Skip("github.com/leakproof/leakproof/errgroup is not in the module yet: the fixed errgroup cases import it")
		}
		goCmd(t, dir, "test", "-count=1", "./errgroup/...")
	})
}

// TestVetTool runs leakvet as go vet's tool and finds every category.
func TestVetTool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and vets a module in subprocesses")
	}
	bin := build(t)
	dir := cases.Copy(t)
	cmd := exec.Command("go", "vet", "-vettool="+bin, "./nilchan", "./fanout", "./unlock", "./wgdrift", "./httptimeout", "./errgroup")
	cmd.Dir = dir
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("go vet -vettool found nothing:\n%s", out)
	}
	for _, want := range []string{
		`nilchan/nilchan.go:\d+:\d+: send on nil channel results`,
		`fanout/fanout.go:\d+:\d+: goroutines started in the loop`,
		`unlock/unlock.go:\d+:\d+: c.mu.Lock\(\) is still held`,
		`wgdrift/wgdrift.go:\d+:\d+: wg.Add\(5\) but only 3 goroutines`,
		`httptimeout/httptimeout.go:\d+:\d+: a goroutine started on every iteration`,
		`errgroup/crawl.go:\d+:\d+: a task panic`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("go vet -vettool output lacks %q:\n%s", want, out)
		}
	}
}

// TestJSON checks -json: every diagnostic has one of the six categories,
// and the directive suppresses what it should.
func TestJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command in subprocesses")
	}
	bin := build(t)
	dir := cases.Copy(t)
	diags := leakvetJSON(t, bin, dir, "./...")
	seen := make(map[string]int)
	ignored := 0
	for _, d := range diags {
		seen[d.Category]++
		if strings.Contains(d.Posn, "/ignore/ignore.go:") {
			ignored++
		}
	}
	// ignore.go's reports are the four its directives do not cover.
	if ignored != 4 {
		t.Errorf("%d reports in ignore/ignore.go, want 4", ignored)
	}
	for _, cat := range []string{"nilchan", "fanout", "unlock", "wgdrift", "httptimeout", "errgroup"} {
		if seen[cat] < 4 {
			t.Errorf("%d %s reports, want at least 4", seen[cat], cat)
		}
		delete(seen, cat)
	}
	if len(seen) > 0 {
		t.Errorf("unknown categories: %v", seen)
	}
}

type diagnostic struct {
	Posn           string `json:"posn"`
	Message        string `json:"message"`
	Category       string `json:"category"`
	SuggestedFixes []any  `json:"suggested_fixes"`
}

// leakvetJSON runs leakvet -json and returns its diagnostics.
func leakvetJSON(t *testing.T, bin, dir string, pkgs ...string) []diagnostic {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-json"}, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("leakvet -json: %v\n%s", err, stderr.Bytes())
	}
	// package -> analyzer -> diagnostics; the test variant of a package
	// repeats its diagnostics, so they are kept once each.
	var tree map[string]map[string]json.RawMessage
	if err := json.Unmarshal(out, &tree); err != nil {
		t.Fatalf("leakvet -json printed no JSON: %v\n%s", err, out)
	}
	var diags []diagnostic
	seen := make(map[string]bool)
	for _, byAnalyzer := range tree {
		var ds []diagnostic
		if err := json.Unmarshal(byAnalyzer["leakvet"], &ds); err != nil {
			continue // an error object, or no diagnostics
		}
		for _, d := range ds {
			if !seen[d.Posn+d.Message] {
				seen[d.Posn+d.Message] = true
				diags = append(diags, d)
			}
		}
	}
	return diags
}

// build builds the leakvet command into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "leakvet")
	goCmd(t, ".", "build", "-o", bin, "../cmd/leakvet")
	return bin
}

// leakproofErrgroupExists reports whether the module has its errgroup
// package yet.
func leakproofErrgroupExists(t *testing.T) bool {
	_, err := os.Stat("../errgroup")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// packageFailed reports whether go test -json output says pkg failed.
func packageFailed(out []byte, pkg string) bool {
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var ev struct{ Action, Package, Test string }
		if dec.Decode(&ev) != nil {
			return false
		}
		if ev.Package == pkg && ev.Test == "" && ev.Action == "fail" {
			return true
		}
	}
}

// env is the environment of the commands: cases.Copy has set GOFLAGS and
// GOWORK for the test.
func env() []string { return os.Environ() }

func goOut(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env()
	return cmd.CombinedOutput()
}

func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	if out, err := goOut(dir, args...); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func run(t *testing.T, dir, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("leakvet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
