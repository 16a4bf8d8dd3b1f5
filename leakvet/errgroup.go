package leakvet

import (
	"go/ast"
	"strconv"

	"golang.org/x/tools/go/analysis"
)

const (
	xsyncErrgroup     = "golang.org/x/sync/errgroup"
	leakproofErrgroup = leakproof + "/errgroup"
)

// checkErrgroup reports each import of golang.org/x/sync/errgroup outside
// test files, and offers leakproof's errgroup, which has the same API, in
// its place.
//
// Test files are left alone: there a task panic fails the test binary with
// either package, since leakproof's Wait re-raises it in the test's own
// goroutine, so the import path makes no difference worth a report (and
// benchmarks that compare against x/sync must import it).
func checkErrgroup(c *checker) {
	for _, f := range c.pass.Files {
		if c.inTestFile(f.FileStart) {
			continue
		}
		for _, spec := range f.Imports {
			if path, _ := strconv.Unquote(spec.Path.Value); path != xsyncErrgroup {
				continue
			}
			reportErrgroup(c, spec)
		}
	}
}

func reportErrgroup(c *checker, spec *ast.ImportSpec) {
	c.report(catErrgroup, analysis.Diagnostic{
		Pos: spec.Path.Pos(),
		End: spec.Path.End(),
		Message: "a task panic in golang.org/x/sync/errgroup crashes the program, with no cleanup in the other tasks; " +
			leakproofErrgroup + " has the same API, and its Wait re-raises the panic as a *group.PanicError once the others finish",
		SuggestedFixes: fix("import "+leakproofErrgroup,
			replace(spec.Path, strconv.Quote(leakproofErrgroup))),
	})
}
