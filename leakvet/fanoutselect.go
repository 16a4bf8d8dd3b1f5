package leakvet

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// checkLoneSender reports the other shape of the same leak: one goroutine
// sends once on the unbuffered channel, and the function receives it only
// in one case of a select that can take another (a timeout, ctx.Done(), a
// default), after which nothing receives it. This is the most common leak
// in Go code: the "timeout" pattern. The fix is a buffer of one.
func checkLoneSender(c *checker, mkCur inspector.Cursor, f *fanout) {
	if len(f.senders) != 1 || len(f.sends) != 1 || f.looped || f.guarded || f.closes > 0 || len(f.recvs) != 1 {
		return
	}
	r := f.recvs[0]
	if r.sel == nil || len(r.sel.Body.List) < 2 {
		return
	}
	var g *ast.GoStmt
	for g = range f.senders {
	}
	// A select repeated by a loop the goroutine is not in may receive on a
	// later round.
	if len(r.loops) > 0 && !(r.loops[0].Pos() <= g.Pos() && g.End() <= r.loops[0].End()) || g.Pos() > r.sel.Pos() {
		return
	}
	// A test's select whose other cases fail the test leaks only once the
	// test has failed: the usual guard against a hang, not a bug.
	if c.otherCasesFailTest(r) {
		return
	}
	mk := mkCur.Node().(*ast.CallExpr)
	d := analysis.Diagnostic{
		Pos: mk.Pos(),
		End: mk.End(),
		Message: fmt.Sprintf("the goroutine started on line %d sends once on unbuffered channel %s, which only one case of the select on line %d receives: "+
			"when another case is taken, the sender blocks forever; give %s a buffer of 1",
			c.line(g.Pos()), f.name, c.line(r.sel.Pos()), f.name),
		Related:        []analysis.RelatedInformation{{Pos: f.sends[0].Pos(), Message: "blocks forever once the select has moved on"}},
		SuggestedFixes: bufferEdit(mk, "1"),
	}
	c.report(catFanout, d)
}

// otherCasesFailTest reports whether every case of r's select other than
// r's calls a method of package testing (t.Fatal, t.Errorf, b.Error...).
func (c *checker) otherCasesFailTest(r recv) bool {
	for _, s := range r.sel.Body.List {
		cc := s.(*ast.CommClause)
		if cc.Comm != nil && cc.Comm.Pos() <= r.node.Pos() && r.node.End() <= cc.Comm.End() {
			continue
		}
		found := false
		ast.Inspect(cc, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if fn, ok := typeutil.Callee(c.pass.TypesInfo, call).(*types.Func); ok && fn.Pkg() != nil &&
					fn.Pkg().Path() == "testing" && fn.Signature().Recv() != nil {
					found = true
				}
			}
			return !found
		})
		if !found {
			return false
		}
	}
	return true
}

// selectOf returns the select statement whose case recv is the
// communication of, or nil.
func selectOf(stack []ast.Node, recv ast.Node) *ast.SelectStmt {
	for i := len(stack) - 1; i >= 3; i-- {
		if cc, ok := stack[i].(*ast.CommClause); ok {
			if cc.Comm == nil || !(cc.Comm.Pos() <= recv.Pos() && recv.End() <= cc.Comm.End()) {
				return nil
			}
			sel, _ := stack[i-2].(*ast.SelectStmt)
			return sel
		}
	}
	return nil
}
