package leakvet

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// Analyzer reports the goroutine leaks and deadlocks that leakproof's
// packages replace, and offers the refactor onto them as suggested fixes.
var Analyzer = &analysis.Analyzer{
	Name: "leakvet",
	Doc: `find goroutine leaks and deadlocks, and rewrite them onto leakproof

leakvet reports six patterns, each under its own category: nilchan (a send
or receive on a channel that is never made), fanout (goroutines send on an
unbuffered channel that is received fewer times than they send), unlock (a
Lock with a path to a return that skips the Unlock), wgdrift (WaitGroup
counts that cannot match), httptimeout (a goroutine per loop iteration
making an HTTP call with no timeout) and errgroup (an import of
golang.org/x/sync/errgroup, whose task panics crash the program).

A comment //leakvet:ignore <category> <reason> suppresses reports of that
category (or of several, comma-separated) on its own line when it trails
code, on the next line when it stands alone, and in the whole function when
it is in the function's doc comment. A directive without a reason
suppresses nothing, and the report says so.`,
	URL:      docURL,
	Requires: []*analysis.Analyzer{inspect.Analyzer, ctrlflow.Analyzer},
	Run:      run,
}

const (
	docURL    = "https://pkg.go.dev/github.com/leakproof/leakproof/leakvet"
	leakproof = "github.com/leakproof/leakproof"
)

// The categories, one per pattern. Each names a heading of the package doc.
const (
	catNilchan     = "nilchan"
	catFanout      = "fanout"
	catUnlock      = "unlock"
	catWGDrift     = "wgdrift"
	catHTTPTimeout = "httptimeout"
	catErrgroup    = "errgroup"
)

func run(pass *analysis.Pass) (any, error) {
	c := &checker{
		pass:    pass,
		inspect: pass.ResultOf[inspect.Analyzer].(*inspector.Inspector),
		cfgs:    pass.ResultOf[ctrlflow.Analyzer].(*ctrlflow.CFGs),
	}
	checkErrgroup(c)
	checkNilchan(c)
	checkFanout(c)
	if imports(pass.Pkg, "sync") {
		checkUnlock(c)
		checkWGDrift(c)
	}
	if imports(pass.Pkg, "net/http") {
		checkHTTPTimeout(c)
	}
	// Report in the order of the source, not of the checks.
	slices.SortStableFunc(c.diags, func(a, b analysis.Diagnostic) int { return cmp.Compare(a.Pos, b.Pos) })
	for _, d := range c.diags {
		pass.Report(d)
	}
	return nil, nil
}

// A checker is one pass of the analyzer over one package, with what the
// checks share: the pass's results and what is computed once on demand.
type checker struct {
	pass    *analysis.Pass
	inspect *inspector.Inspector
	cfgs    *ctrlflow.CFGs
	diags   []analysis.Diagnostic // to report, in source order, when done

	ignores  map[*token.File]*ignoreSet // lazily, per file
	assigned map[types.Object]bool      // lazily: see assignedObjects
	nilCmp   map[types.Object]bool      // lazily: compared with nil somewhere
	// constructed holds the fields of struct values the package makes.
	constructed map[types.Object]bool

	goTargets    map[*types.Func]bool                             // lazily: functions go statements call
	releaseFuncs map[string]map[*types.Func]map[types.Object]bool // lazily: see releasers
}

// report reports d under category unless a leakvet:ignore directive for that
// category covers its position.
func (c *checker) report(category string, d analysis.Diagnostic) {
	f := c.file(d.Pos)
	if f == nil || ast.IsGenerated(f) {
		return // not the author's to fix
	}
	d.Category = category
	d.URL = docURL + "#hdr-" + category
	switch c.ignored(f, category, d.Pos) {
	case ignoreYes:
		return
	case ignoreNoReason:
		d.Message += " (a leakvet:ignore directive here is not honoured without a reason)"
	}
	c.diags = append(c.diags, d)
}

// file returns the syntax tree of the file holding pos.
func (c *checker) file(pos token.Pos) *ast.File {
	for _, f := range c.pass.Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return f
		}
	}
	return nil
}

// line returns pos's line number, for messages.
func (c *checker) line(pos token.Pos) int { return c.pass.Fset.Position(pos).Line }

// src returns the source text of n.
func (c *checker) src(n ast.Node) string {
	tf, content := c.content(n.Pos())
	if content == nil {
		return types.ExprString(n.(ast.Expr))
	}
	return string(content[tf.Offset(n.Pos()):tf.Offset(n.End())])
}

// leakproofImportable reports whether a fix may import a leakproof
// package: the package is in leakproof's module, or one of its non-test
// files imports a leakproof package already, so the module requires it.
// Test files are left out so that a package and its test variant, which
// share the non-test files, get the same fixes.
func (c *checker) leakproofImportable() bool {
	if strings.HasPrefix(c.pass.Pkg.Path(), leakproof+"/") {
		return true
	}
	for _, f := range c.pass.Files {
		if c.inTestFile(f.FileStart) {
			continue
		}
		for _, spec := range f.Imports {
			if path, _ := strconv.Unquote(spec.Path.Value); strings.HasPrefix(path, leakproof+"/") {
				return true
			}
		}
	}
	return false
}

// inTestFile reports whether pos is in a _test.go file.
func (c *checker) inTestFile(pos token.Pos) bool {
	return strings.HasSuffix(c.pass.Fset.File(pos).Name(), "_test.go")
}

// imports reports whether pkg imports path directly.
func imports(pkg *types.Package, path string) bool {
	for _, imp := range pkg.Imports() {
		if imp.Path() == path {
			return true
		}
	}
	return false
}

// plural returns "n thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", thing)
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
