package leakvet

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
)

// fetchFix rewrites
//
//	go func() {
//		resp, err := client.Get(url)
//		...
//	}()
//
// into a done callback started by a fetch.Client's TryGo:
//
//	handle := func(resp *fetch.Response, err error) {
//		...
//	}
//	if err := client.TryGo(ctx, url, handle); err != nil {
//		handle(nil, err) // refused at once: ...
//	}
//
// with the client made by fetch.New() where the http.Client was made (or,
// for http.Get and http.DefaultClient, before the outermost loop), and
// closed by a defer there. It returns nil for any other shape; see
// checkHTTPTimeout.
func (c *checker) fetchFix(goCur inspector.Cursor, call *ast.CallExpr) []analysis.SuggestedFix {
	g := goCur.Node().(*ast.GoStmt)
	lit, ok := g.Call.Fun.(*ast.FuncLit)
	if !ok || len(g.Call.Args) > 0 || lit.Type.Params.NumFields() > 0 || len(lit.Body.List) == 0 {
		return nil
	}
	get, ok := lit.Body.List[0].(*ast.AssignStmt)
	sel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || get.Tok != token.DEFINE || len(get.Lhs) != 2 || len(get.Rhs) != 1 || get.Rhs[0] != call ||
		sel.Sel.Name != "Get" || len(call.Args) != 1 || !c.pure(call.Args[0], lit) {
		return nil
	}
	errName := c.src(get.Lhs[1])
	var edits []analysis.TextEdit
	// resp may only have its body closed, which fetch has done, so the
	// callback's response parameter goes unused.
	closes, ok := c.bodyCloses(lit, get.Lhs[0])
	if !ok {
		return nil
	}
	for _, s := range closes {
		edits = append(edits, c.deleteStmt(s))
	}

	at := []token.Pos{g.Pos()}
	fetchName, imp, ok := c.importName(g.Pos(), leakproof+"/fetch")
	if !ok {
		return nil
	}
	edits = append(edits, imp...)

	// The client: replace the http.Client, or make one before the loops.
	var client string
	if v, isVar := c.localVar(sel.X); isVar {
		decl, ok := c.clientDecl(v)
		declCur, found := c.inspect.Root().FindNode(decl)
		if !ok || !found || !c.usedOnce(declCur, v) {
			return nil
		}
		if _, inLoop := innermostLoop(declCur); inLoop {
			return nil
		}
		client = v.Name()
		edits = append(edits, c.replaceClient(decl, v, fetchName+".New()")...)
		stmt := decl
		if spec, isSpec := decl.(*ast.ValueSpec); isSpec {
			stmt = spec // a var declaration: the defer goes after its line
		}
		edits = append(edits, insert(c.lineEnd(stmt.End()), "\n"+c.indent(stmt.Pos())+"defer "+client+".Close()"))
	} else {
		outer := outermostLoop(goCur)
		name, ok := c.freshName([]token.Pos{outer.Pos(), g.Pos()}, "client", "fetcher", "fetchClient")
		if !ok || c.declaredWithin(outer, name) {
			return nil
		}
		client = name
		ind := c.indent(outer.Pos())
		edits = append(edits, insert(c.lineStart(outer.Pos()),
			ind+client+" := "+fetchName+".New()\n"+ind+"defer "+client+".Close()\n"))
	}

	ctx := c.contextAt(g.Pos())
	if ctx == "" {
		name, imp, ok := c.importName(g.Pos(), "context")
		if !ok {
			return nil
		}
		edits = append(edits, imp...)
		ctx = name + ".Background()"
	}
	handle, ok := c.freshName(at, "handle", "handleResponse", "onResponse")
	if !ok || c.declaredWithin(lit, handle) {
		return nil
	}
	ind := c.indent(g.Pos())
	edits = append(edits,
		analysis.TextEdit{Pos: g.Pos(), End: lit.Body.Lbrace + 1,
			NewText: []byte(handle + " := func(_ *" + fetchName + ".Response, " + errName + " error) {")},
		c.deleteStmt(get),
		analysis.TextEdit{Pos: lit.End(), End: g.End(), NewText: []byte("\n" +
			ind + "if err := " + client + ".TryGo(" + ctx + ", " + c.src(call.Args[0]) + ", " + handle + "); err != nil {\n" +
			ind + "\t" + handle + "(nil, err) // refused at once: every slot busy (fetch.ErrSaturated), or a bad URL\n" +
			ind + "}")})
	return fix("a fetch.Client with TryGo: each request bounded by a timeout, at most 16 in flight", edits...)
}

// pure reports whether e can be evaluated before the goroutine would have
// evaluated it: no calls, and nothing declared inside lit.
func (c *checker) pure(e ast.Expr, lit *ast.FuncLit) bool {
	ok := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr, *ast.FuncLit:
			ok = false
		case *ast.Ident:
			if obj := c.pass.TypesInfo.Uses[n]; obj != nil && lit.Pos() <= obj.Pos() && obj.Pos() < lit.End() {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// bodyCloses returns the statements in lit that close resp's body (resp.Body.Close(),
// deferred or not), or, where such a statement is all an if statement
// holds, the if statement. ok is false if resp has any other use.
func (c *checker) bodyCloses(lit *ast.FuncLit, resp ast.Expr) (stmts []ast.Stmt, ok bool) {
	v := c.pass.TypesInfo.Defs[resp.(*ast.Ident)]
	if v == nil {
		return nil, true // resp is _
	}
	ok = true
	ast.PreorderStack(lit.Body, nil, func(n ast.Node, stack []ast.Node) bool {
		call := stmtCall(n)
		if id, isIdent := n.(*ast.Ident); isIdent && c.pass.TypesInfo.Uses[id] == v {
			ok = false
		}
		if call != nil && c.isBodyClose(call, v) {
			s := n.(ast.Stmt)
			if len(stack) < 2 {
				stmts = append(stmts, s)
				return false
			}
			if ifs, isIf := stack[len(stack)-2].(*ast.IfStmt); isIf && len(ifs.Body.List) == 1 && ifs.Else == nil && ifs.Init == nil && c.pureCond(ifs.Cond) {
				s = ifs
			}
			stmts = append(stmts, s)
			return false
		}
		return ok
	})
	return stmts, ok
}

// isBodyClose reports whether e is resp.Body.Close() for the variable v.
func (c *checker) isBodyClose(e ast.Expr, v types.Object) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) > 0 {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Close" {
		return false
	}
	body, ok := sel.X.(*ast.SelectorExpr)
	return ok && body.Sel.Name == "Body" && c.isIdent(body.X, v)
}

// pureCond reports whether an if condition can be dropped with its body: it
// calls nothing.
func (c *checker) pureCond(e ast.Expr) bool {
	ok := true
	ast.Inspect(e, func(n ast.Node) bool {
		if _, isCall := n.(*ast.CallExpr); isCall {
			ok = false
		}
		return ok
	})
	return ok
}

// usedOnce reports whether the local variable v is used once.
func (c *checker) usedOnce(declCur inspector.Cursor, v types.Object) bool {
	fn, ok := enclosingFunc(declCur)
	return ok && c.countUses(fnBody(fn.Node()), v) == 1
}

// replaceClient returns the edit that makes v's declaration decl hold the
// fetch client made by newClient.
func (c *checker) replaceClient(decl ast.Node, v types.Object, newClient string) []analysis.TextEdit {
	switch d := decl.(type) {
	case *ast.AssignStmt:
		for i, lhs := range d.Lhs {
			if c.pass.TypesInfo.Defs[lhs.(*ast.Ident)] == v {
				return []analysis.TextEdit{replace(d.Rhs[i], newClient)}
			}
		}
	case *ast.ValueSpec:
		if len(d.Names) != 1 {
			return nil
		}
		if len(d.Values) == 0 {
			return []analysis.TextEdit{replace(d.Type, "= "+newClient)}
		}
		edits := []analysis.TextEdit{replace(d.Values[0], newClient)}
		if d.Type != nil {
			edits = append(edits, analysis.TextEdit{Pos: d.Names[0].End(), End: d.Type.End()})
		}
		return edits
	}
	return nil
}

// contextAt returns the name of a context.Context variable in scope at pos,
// preferring one named ctx, or "".
func (c *checker) contextAt(pos token.Pos) string {
	scope := c.pass.Pkg.Scope().Innermost(pos)
	if _, obj := scope.LookupParent("ctx", pos); obj != nil && isContext(obj.Type()) {
		return "ctx"
	}
	return ""
}

func isContext(t types.Type) bool {
	named, ok := types.Unalias(t).(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "context" && named.Obj().Name() == "Context"
}

// localVar returns the local variable e names, if it does.
func (c *checker) localVar(e ast.Expr) (*types.Var, bool) {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil, false
	}
	v, ok := c.pass.TypesInfo.Uses[id].(*types.Var)
	return v, ok && v.Parent() != nil && v.Parent() != v.Pkg().Scope()
}
