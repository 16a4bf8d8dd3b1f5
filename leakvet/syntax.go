package leakvet

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// What the checks ask of the syntax tree: the function, loop and branch a
// statement is in, how many times a loop runs, where a variable is used.

// funcTypes are the nodes that start a new function body.
var funcTypes = []ast.Node{(*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)}

// enclosingFunc returns the innermost function declaration or literal
// enclosing cur.
func enclosingFunc(cur inspector.Cursor) (inspector.Cursor, bool) {
	for f := range cur.Enclosing(funcTypes...) {
		if f != cur {
			return f, true
		}
	}
	return inspector.Cursor{}, false
}

// innermostLoop returns the innermost for or range statement that encloses
// cur within its own function: a loop outside a function literal does not
// count for a statement inside it.
func innermostLoop(cur inspector.Cursor) (ast.Stmt, bool) {
	for p := cur.Parent(); p.Node() != nil; p = p.Parent() {
		switch n := p.Node().(type) {
		case *ast.ForStmt:
			return n, true
		case *ast.RangeStmt:
			return n, true
		case *ast.FuncLit, *ast.FuncDecl:
			return nil, false
		}
	}
	return nil, false
}

// loopBody returns the body of a for or range statement.
func loopBody(loop ast.Stmt) *ast.BlockStmt {
	switch l := loop.(type) {
	case *ast.ForStmt:
		return l.Body
	case *ast.RangeStmt:
		return l.Body
	}
	return nil
}

// tripCount returns how many times loop runs its body, when that is a
// constant: range over a constant integer, an array, or a slice literal, or
// a three-clause loop counting a variable from one constant to another.
func (c *checker) tripCount(loop ast.Stmt) (int64, bool) {
	info := c.pass.TypesInfo
	switch l := loop.(type) {
	case *ast.RangeStmt:
		if n, ok := c.constInt(l.X); ok {
			return max(n, 0), true
		}
		if lit, ok := ast.Unparen(l.X).(*ast.CompositeLit); ok {
			if _, ok := info.TypeOf(lit).Underlying().(*types.Slice); ok {
				for _, e := range lit.Elts {
					if _, ok := e.(*ast.KeyValueExpr); ok {
						return 0, false
					}
				}
				return int64(len(lit.Elts)), true
			}
		}
		if arr, ok := deref(info.TypeOf(l.X)).Underlying().(*types.Array); ok {
			return arr.Len(), true
		}
	case *ast.ForStmt:
		init, ok := l.Init.(*ast.AssignStmt)
		if !ok || init.Tok != token.DEFINE || len(init.Lhs) != 1 || len(init.Rhs) != 1 {
			return 0, false
		}
		i := info.Defs[init.Lhs[0].(*ast.Ident)]
		from, ok1 := c.constInt(init.Rhs[0])
		cond, ok2 := l.Cond.(*ast.BinaryExpr)
		post, ok3 := l.Post.(*ast.IncDecStmt)
		if i == nil || !ok1 || !ok2 || !ok3 || post.Tok != token.INC || !c.isIdent(post.X, i) || !c.isIdent(cond.X, i) {
			return 0, false
		}
		to, ok := c.constInt(cond.Y)
		if !ok || c.assignsIn(l.Body, i) {
			return 0, false
		}
		switch cond.Op {
		case token.LSS, token.NEQ:
			return max(to-from, 0), true
		case token.LEQ:
			return max(to-from+1, 0), true
		}
	}
	return 0, false
}

// assignsIn reports whether n assigns to v (other than in the statement
// that declares it) or takes its address.
func (c *checker) assignsIn(n ast.Node, v types.Object) bool {
	used := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && c.pass.TypesInfo.Uses[id] == v
	}
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				found = found || used(lhs)
			}
		case *ast.IncDecStmt:
			found = found || used(n.X)
		case *ast.UnaryExpr:
			found = found || n.Op == token.AND && used(n.X)
		case *ast.RangeStmt:
			found = found || n.Key != nil && used(n.Key) || n.Value != nil && used(n.Value)
		}
		return !found
	})
	return found
}

// earlyExit returns the first statement in loop's body that leaves the loop
// before its iterations are done: a return, a break or goto out of it, or a
// continue of an outer loop. Statements for which exempt returns true, or
// that are inside one for which it does, do not count. Function literals
// are not looked into.
func (c *checker) earlyExit(loop ast.Stmt, exempt func(ast.Node) bool) ast.Node {
	body := loopBody(loop)
	var exit ast.Node
	ast.PreorderStack(body, nil, func(n ast.Node, stack []ast.Node) bool {
		if exit != nil {
			return false
		}
		if exempt != nil && exempt(n) {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			exit = n
		case *ast.BranchStmt:
			if c.branchLeaves(n, body, stack) {
				exit = n
			}
		}
		return true
	})
	return exit
}

// branchLeaves reports whether the branch statement b, inside body (the
// body of a loop) with stack the nodes between them, leaves the loop.
func (c *checker) branchLeaves(b *ast.BranchStmt, body *ast.BlockStmt, stack []ast.Node) bool {
	if b.Label != nil {
		label, ok := c.pass.TypesInfo.Uses[b.Label].(*types.Label)
		if !ok {
			return false
		}
		inside := body.Pos() <= label.Pos() && label.Pos() < body.End()
		return !inside && !(b.Tok == token.CONTINUE && c.labelsLoopOf(label, body))
	}
	switch b.Tok {
	case token.BREAK:
		// An unlabelled break leaves the innermost for, range, switch or
		// select: the loop itself only when there is none in between.
		for _, n := range stack {
			switch n.(type) {
			case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				return false
			}
		}
		return true
	case token.GOTO:
		return true
	}
	return false // continue, fallthrough
}

// labelsLoopOf reports whether label labels the loop whose body is body.
func (c *checker) labelsLoopOf(label *types.Label, body *ast.BlockStmt) bool {
	cur, ok := c.declIdent(label)
	if !ok {
		return false
	}
	ls, ok := cur.Parent().Node().(*ast.LabeledStmt)
	return ok && loopBody(ls.Stmt) == body
}

// startedByGo reports whether the function at cur is the literal of a go
// statement, or a function declaration that a go statement of the package
// calls.
func (c *checker) startedByGo(cur inspector.Cursor) bool {
	switch fn := cur.Node().(type) {
	case *ast.FuncLit:
		call, ok := cur.Parent().Node().(*ast.CallExpr)
		if !ok || call.Fun != fn {
			return false
		}
		_, ok = cur.Parent().Parent().Node().(*ast.GoStmt)
		return ok
	case *ast.FuncDecl:
		if c.goTargets == nil {
			c.goTargets = make(map[*types.Func]bool)
			for g := range c.inspect.Root().Preorder((*ast.GoStmt)(nil)) {
				if f := typeutil.StaticCallee(c.pass.TypesInfo, g.Node().(*ast.GoStmt).Call); f != nil {
					c.goTargets[f.Origin()] = true
				}
			}
		}
		f, ok := c.pass.TypesInfo.Defs[fn.Name].(*types.Func)
		return ok && c.goTargets[f]
	}
	return false
}

// fnBody returns the body of a function declaration or literal.
func fnBody(fn ast.Node) *ast.BlockStmt {
	switch fn := fn.(type) {
	case *ast.FuncDecl:
		return fn.Body
	case *ast.FuncLit:
		return fn.Body
	}
	return nil
}

// declaredIn reports whether obj is declared inside body (so a local
// variable, not a parameter).
func declaredIn(obj types.Object, body *ast.BlockStmt) bool {
	return body != nil && body.Pos() <= obj.Pos() && obj.Pos() < body.End()
}

// countUses counts the identifiers in n that refer to obj.
func (c *checker) countUses(n ast.Node, obj types.Object) int {
	count := 0
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && c.pass.TypesInfo.Uses[id] == obj {
			count++
		}
		return true
	})
	return count
}

// countRefs counts the expressions in n that denote r.
func (c *checker) countRefs(n ast.Node, r ref) int {
	count := 0
	ast.Inspect(n, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && c.refOf(e).equal(r) {
			count++
			return false
		}
		return true
	})
	return count
}

// hasBranch reports whether n holds a return or branch statement outside
// function literals.
func hasBranch(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt, *ast.BranchStmt:
			found = true
		}
		return !found
	})
	return found
}

// hasReturn reports whether any of stmts holds a return statement outside
// function literals.
func hasReturn(stmts []ast.Stmt) bool {
	for _, s := range stmts {
		found := false
		ast.Inspect(s, func(n ast.Node) bool {
			switch n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				found = true
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// mentions reports whether n refers to r at all.
func (c *checker) mentions(n ast.Node, r ref) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && c.refOf(e).equal(r) {
			found = true
		}
		return !found
	})
	return found
}

// branchOut returns the first statement in s that leaves the statement
// list holding s (a return, or a break, continue or goto to a target
// outside s), unless s mentions r, as in if err != nil { wg.Done();
// continue } with r the WaitGroup wg.
func (c *checker) branchOut(s ast.Stmt, r ref) ast.Node {
	if c.mentions(s, r) {
		return nil
	}
	var out ast.Node
	ast.PreorderStack(s, nil, func(n ast.Node, stack []ast.Node) bool {
		if out != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			out = n
		case *ast.BranchStmt:
			if n.Label != nil {
				if l, ok := c.pass.TypesInfo.Uses[n.Label].(*types.Label); ok && !(s.Pos() <= l.Pos() && l.Pos() < s.End()) {
					out = n
				}
				return false
			}
			for _, p := range stack {
				switch p.(type) {
				case *ast.ForStmt, *ast.RangeStmt:
					return false
				case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
					if n.Tok == token.BREAK {
						return false
					}
				}
			}
			if n.Tok == token.BREAK || n.Tok == token.CONTINUE {
				out = n
			}
		}
		return true
	})
	return out
}

func branchWord(n ast.Node) string {
	if b, ok := n.(*ast.BranchStmt); ok {
		return b.Tok.String()
	}
	return "return"
}

// stmtCall returns the call of an expression or defer statement, or nil.
func stmtCall(n ast.Node) ast.Expr {
	switch s := n.(type) {
	case *ast.ExprStmt:
		return s.X
	case *ast.DeferStmt:
		return s.Call
	}
	return nil
}
