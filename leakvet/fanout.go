package leakvet

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
)

// checkFanout reports an unbuffered channel made in a function, sent on by
// goroutines started in a loop, and received fewer times than they send:
// a fixed number of receives (the first result wins), or a receive loop
// that can leave early (a return on the first error, a case <-ctx.Done()).
// Every sender left over blocks forever.
//
// To stay precise the channel must stay in the function (no use but sends,
// receives, and close), every plain send must be in a goroutine of the one
// loop, and every receive in the function itself, not in another goroutine.
// A send in a select with other cases is not a plain send: it can give up.
// A receive loop with no early exit is trusted to receive enough, and a
// return or break under `if !ok`, after a comma-ok receive on the channel,
// is the loop ending on close, not early.
//
// The fix is group.First when the shape is exactly "first result wins"
// over a slice of func(context.Context) (T, error) and the package already
// imports leakproof; otherwise, when each goroutine sends once and the
// loop's length can be written where the channel is made, a buffer of that
// length, so that every send completes whether or not it is received.
func checkFanout(c *checker) {
	for cur := range c.inspect.Root().Preorder((*ast.CallExpr)(nil)) {
		mk := cur.Node().(*ast.CallExpr)
		if !c.isUnbufferedMake(mk) {
			continue
		}
		var ch types.Object
		switch p := cur.Parent().Node().(type) {
		case *ast.AssignStmt:
			if p.Tok == token.DEFINE && len(p.Lhs) == 1 && len(p.Rhs) == 1 {
				ch = c.pass.TypesInfo.Defs[p.Lhs[0].(*ast.Ident)]
			}
		case *ast.ValueSpec:
			if len(p.Names) == 1 && len(p.Values) == 1 {
				ch = c.pass.TypesInfo.Defs[p.Names[0]]
			}
		}
		if ch == nil {
			continue
		}
		if fnCur, ok := enclosingFunc(cur); ok {
			checkFanoutChan(c, cur, fnCur, ch)
		}
	}
}

func (c *checker) isUnbufferedMake(call *ast.CallExpr) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok || id.Name != "make" || len(call.Args) == 0 || !isChan(c.pass.TypesInfo.TypeOf(call.Args[0])) {
		return false
	}
	if _, ok := c.pass.TypesInfo.Uses[id].(*types.Builtin); !ok {
		return false
	}
	if len(call.Args) == 1 {
		return true
	}
	n, ok := c.constInt(call.Args[1])
	return ok && n == 0
}

// fanout is what checkFanoutChan learns about one channel.
type fanout struct {
	name    string               // the channel's
	loop    ast.Stmt             // the loop starting the senders
	senders map[*ast.GoStmt]bool // the go statements whose literals send
	looped  bool                 // a sender sends inside a loop of its own
	guarded bool                 // some send is a select case
	sends   []*ast.SendStmt
	recvs   []recv
	okVars  []types.Object
	closes  int
}

// A recv is a receive (or a range over the channel), the loops around it
// in its function, innermost first, and the select it is a case of.
type recv struct {
	node  ast.Node
	loops []ast.Stmt
	sel   *ast.SelectStmt
}

func checkFanoutChan(c *checker, mkCur, fnCur inspector.Cursor, ch types.Object) {
	mk := mkCur.Node().(*ast.CallExpr)
	f := fanout{name: ch.Name(), senders: make(map[*ast.GoStmt]bool)}
	escapes := false
	info := c.pass.TypesInfo
	ast.PreorderStack(fnBody(fnCur.Node()), nil, func(n ast.Node, stack []ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if escapes || !ok || info.Uses[id] != ch {
			return !escapes
		}
		parent := stack[len(stack)-1]
		lits := funcLits(stack)
		switch p := parent.(type) {
		case *ast.SendStmt:
			if p.Chan != id {
				escapes = true
				break
			}
			if cc, ok := stack[len(stack)-2].(*ast.CommClause); ok && cc.Comm == p {
				f.guarded = true
				break
			}
			g := goOf(stack, lits)
			if g == nil || c.coordinated(g.Call.Fun.(*ast.FuncLit)) {
				escapes = true
				break
			}
			loop := loopOf(stack, g)
			if loop != nil && loop.Pos() <= mk.Pos() && mk.Pos() < loop.End() {
				loop = nil // a channel made afresh for each goroutine
			}
			if len(f.senders) > 0 && f.loop != loop {
				escapes = true
				break
			}
			f.loop = loop
			f.senders[g] = true
			f.sends = append(f.sends, p)
			f.looped = f.looped || slices.ContainsFunc(stack[slices.Index(stack, ast.Node(g)):], isLoop)
		case *ast.UnaryExpr:
			if p.Op != token.ARROW || len(lits) > 0 {
				escapes = true
				break
			}
			if as, ok := stack[len(stack)-2].(*ast.AssignStmt); ok && len(as.Lhs) == 2 && as.Rhs[0] == p {
				if id, ok := as.Lhs[1].(*ast.Ident); ok && info.ObjectOf(id) != nil {
					f.okVars = append(f.okVars, info.ObjectOf(id))
				}
			}
			f.recvs = append(f.recvs, recv{p, loopsOf(stack), selectOf(stack, p)})
		case *ast.RangeStmt:
			if p.X != id || len(lits) > 0 {
				escapes = true
				break
			}
			f.recvs = append(f.recvs, recv{p, append([]ast.Stmt{p}, loopsOf(stack)...), nil})
		case *ast.CallExpr:
			if fn, ok := ast.Unparen(p.Fun).(*ast.Ident); !ok || fn.Name != "close" {
				escapes = true
			}
			f.closes++
		default:
			escapes = true
		}
		return false
	})
	if escapes || len(f.senders) == 0 {
		return
	}
	if f.loop == nil {
		checkLoneSender(c, mkCur, &f)
		return
	}
	// A receive repeated by a loop of its own (or by the senders' loop) is
	// a receive loop; one repeated only with the senders' loop, or not at
	// all, is a single receive.
	var single []ast.Node
	var loops []ast.Stmt
	for _, r := range f.recvs {
		var m ast.Stmt
		if len(r.loops) > 0 {
			if l := r.loops[0]; l == f.loop || !(l.Pos() <= f.loop.Pos() && f.loop.End() <= l.End()) {
				m = l
			}
		}
		if m == nil {
			single = append(single, r.node)
		} else {
			loops = append(loops, m)
		}
	}
	name := f.name
	var why string
	var exits []ast.Node
	for _, m := range loops {
		exit := c.earlyExit(m, f.exempt(c, m))
		if exit == nil {
			return // a receive loop that runs to the end receives enough
		}
		exits = append(exits, exit)
	}
	if len(exits) > 0 {
		why = fmt.Sprintf("the receive loop can leave early (the %s on line %d)", branchWord(exits[0]), c.line(exits[0].Pos()))
	} else {
		k := int64(len(single))
		if trips, ok := c.tripCount(f.loop); ok && trips*int64(len(f.senders)) <= k {
			return
		}
		switch k {
		case 0:
			why = "nothing receives from it"
		case 1:
			why = fmt.Sprintf("it is received once (line %d)", c.line(single[0].Pos()))
		default:
			why = fmt.Sprintf("it is received only %d times", k)
		}
	}
	d := analysis.Diagnostic{
		Pos: mk.Pos(),
		End: mk.End(),
		Message: fmt.Sprintf("goroutines started in the loop on line %d send on unbuffered channel %s, and %s: the senders left over block forever; "+
			"use group.First for the first result, or give %s a buffer of the loop's length",
			c.line(f.loop.Pos()), name, why, name),
		Related: []analysis.RelatedInformation{{Pos: f.sends[0].Pos(), Message: "blocks forever once nothing receives"}},
	}
	if fx := c.firstFix(mkCur, &f); fx != nil {
		d.SuggestedFixes = fx
	} else {
		d.SuggestedFixes = c.bufferFix(mkCur, fnCur, &f)
	}
	c.report(catFanout, d)
}

// loopsOf returns the loops in stack, innermost first.
func loopsOf(stack []ast.Node) []ast.Stmt {
	var loops []ast.Stmt
	for i := len(stack) - 1; i >= 0; i-- {
		if isLoop(stack[i]) {
			loops = append(loops, stack[i].(ast.Stmt))
		}
	}
	return loops
}

// exempt returns the exemption for earlyExit in the receive loop m: an if
// statement on !ok, where ok comes from a comma-ok receive on the channel
// (the channel was closed: every sender is done), or one comparing a
// counter the loop counts (as in `if active--; active == 0 { return }`:
// the loop leaves once it has received from every sender).
func (f *fanout) exempt(c *checker, m ast.Stmt) func(ast.Node) bool {
	counters := c.countersIn(loopBody(m))
	return func(n ast.Node) bool {
		ifs, ok := n.(*ast.IfStmt)
		if !ok {
			return false
		}
		switch cond := ast.Unparen(ifs.Cond).(type) {
		case *ast.UnaryExpr:
			return cond.Op == token.NOT && slices.ContainsFunc(f.okVars, func(v types.Object) bool { return c.isIdent(cond.X, v) })
		case *ast.BinaryExpr:
			switch cond.Op {
			case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
				return slices.ContainsFunc(counters, func(v types.Object) bool { return c.isIdent(cond.X, v) || c.isIdent(cond.Y, v) })
			}
		}
		return false
	}
}

// countersIn returns the variables that n increments or decrements,
// outside function literals.
func (c *checker) countersIn(n ast.Node) []types.Object {
	var vars []types.Object
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.IncDecStmt:
			if id, ok := ast.Unparen(n.X).(*ast.Ident); ok && c.pass.TypesInfo.Uses[id] != nil {
				vars = append(vars, c.pass.TypesInfo.Uses[id])
			}
		case *ast.AssignStmt:
			if (n.Tok == token.ADD_ASSIGN || n.Tok == token.SUB_ASSIGN) && len(n.Lhs) == 1 {
				if id, ok := ast.Unparen(n.Lhs[0]).(*ast.Ident); ok && c.pass.TypesInfo.Uses[id] != nil {
					vars = append(vars, c.pass.TypesInfo.Uses[id])
				}
			}
		}
		return true
	})
	return vars
}

// coordinated reports whether the goroutine's literal lit shares state with
// its siblings (a sync/atomic operation, the address of a variable from
// outside, an assignment to one): then which of them send is decided
// among them, as in "the last one to finish sends", and the number of sends
// cannot be read off the loop.
func (c *checker) coordinated(lit *ast.FuncLit) bool {
	info := c.pass.TypesInfo
	outer := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		if !ok {
			return false
		}
		v, ok := info.Uses[id].(*types.Var)
		return ok && !(lit.Pos() <= v.Pos() && v.Pos() < lit.End())
	}
	found := false
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.UnaryExpr:
			found = n.Op == token.AND && outer(n.X)
		case *ast.IncDecStmt:
			found = outer(n.X)
		case *ast.AssignStmt:
			found = n.Tok != token.DEFINE && slices.ContainsFunc(n.Lhs, outer)
		case *ast.SelectorExpr:
			if obj, ok := info.Uses[n.Sel]; ok && obj.Pkg() != nil && obj.Pkg().Path() == "sync/atomic" {
				found = true
			}
		}
		return !found
	})
	return found
}

func isLoop(n ast.Node) bool {
	switch n.(type) {
	case *ast.ForStmt, *ast.RangeStmt:
		return true
	}
	return false
}

// funcLits returns the function literals in stack.
func funcLits(stack []ast.Node) []*ast.FuncLit {
	var lits []*ast.FuncLit
	for _, n := range stack {
		if lit, ok := n.(*ast.FuncLit); ok {
			lits = append(lits, lit)
		}
	}
	return lits
}

// goOf returns the go statement whose function literal is the innermost
// literal in stack, or nil.
func goOf(stack []ast.Node, lits []*ast.FuncLit) *ast.GoStmt {
	if len(lits) == 0 {
		return nil
	}
	lit := lits[len(lits)-1]
	i := slices.Index(stack, ast.Node(lit))
	if i < 2 {
		return nil
	}
	call, ok := stack[i-1].(*ast.CallExpr)
	g, ok2 := stack[i-2].(*ast.GoStmt)
	if !ok || !ok2 || call.Fun != lit || g.Call != call {
		return nil
	}
	return g
}

// loopOf returns the innermost loop around g in stack, within its function.
func loopOf(stack []ast.Node, g *ast.GoStmt) ast.Stmt {
	for i := slices.Index(stack, ast.Node(g)) - 1; i >= 0; i-- {
		switch n := stack[i].(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			return n.(ast.Stmt)
		case *ast.FuncLit:
			return nil
		}
	}
	return nil
}
