package leakvet_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/leakproof/leakproof/leakvet"
)

// testdata is the module of cases: a module rather than a GOPATH tree so
// that its cases can import leakproof (through a replace of the repository
// root) and x/sync, as users' code does.
var testdata = func() string {
	dir, err := filepath.Abs("testdata")
	if err != nil {
		panic(err)
	}
	return dir
}()

func TestNilchan(t *testing.T) {
	analysistest.Run(t, testdata, leakvet.Analyzer, "./nilchan")
}

func TestFanout(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, testdata, leakvet.Analyzer, "./fanout", "./fanoutlp")
}

func TestUnlock(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, testdata, leakvet.Analyzer, "./unlock")
}

func TestWGDrift(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, testdata, leakvet.Analyzer, "./wgdrift", "./wgdriftlp")
}

func TestHTTPTimeout(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, testdata, leakvet.Analyzer, "./httptimeout")
}

func TestErrgroup(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, testdata, leakvet.Analyzer, "./errgroup/...")
}

func TestIgnore(t *testing.T) {
	analysistest.Run(t, testdata, leakvet.Analyzer, "./ignore")
}
