package leakvet_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/leakproof/leakproof/leakvet"
	"github.com/leakproof/leakproof/leakvet/internal/cases"
)

// The cases are a module rather than a GOPATH tree so that they can import
// leakproof (through a replace of the repository root) and x/sync, as
// users' code does. Each test works on a copy: see package cases.

func TestNilchan(t *testing.T) {
	analysistest.Run(t, cases.Copy(t), leakvet.Analyzer, "./nilchan")
}

func TestFanout(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, cases.Copy(t), leakvet.Analyzer, "./fanout", "./fanoutlp")
}

func TestUnlock(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, cases.Copy(t), leakvet.Analyzer, "./unlock")
}

func TestWGDrift(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, cases.Copy(t), leakvet.Analyzer, "./wgdrift", "./wgdriftlp")
}

func TestHTTPTimeout(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, cases.Copy(t), leakvet.Analyzer, "./httptimeout")
}

func TestErrgroup(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, cases.Copy(t), leakvet.Analyzer, "./errgroup/...")
}

func TestIgnore(t *testing.T) {
	analysistest.Run(t, cases.Copy(t), leakvet.Analyzer, "./ignore")
}
