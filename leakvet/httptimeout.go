package leakvet

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// checkHTTPTimeout reports a go statement in a loop whose goroutine makes
// an HTTP request through a client with no timeout: http.Get and its
// siblings or http.DefaultClient (unless the package sets
// http.DefaultClient's Timeout), or a local client made as an http.Client
// literal without Timeout and used for nothing but requests. On a server
// that never answers, each such goroutine waits forever, and every
// iteration adds one.
//
// Test files are left alone: their requests go to servers the test runs,
// and go test's -timeout bounds them.
//
// A client whose Transport is set, or that escapes the function, may have
// its own bounds and is not reported. Neither is Client.Do on a request made
// with http.NewRequestWithContext and a context other than
// context.Background or context.TODO: a context with a deadline bounds the
// whole exchange, body included, as a client Timeout does, and leakvet cannot
// see whether a context passed in has one, so it assumes so.
//
// The fix moves the request onto a fetch.Client (30s per attempt, 16
// requests in flight, bodies read and closed for you) and starts it with
// TryGo, whose done callback is the goroutine's body; a request TryGo
// refuses at once (every slot busy: fetch.ErrSaturated) goes to the same
// callback as a failure. The client is closed when the function returns,
// which cancels what is still in flight. The fix is offered for the shape
// resp, err := client.Get(url) as the goroutine's first statement, with
// resp used for nothing but closing its body: fetch's Response has the body
// read already, and a non-2xx status is an error.
func checkHTTPTimeout(c *checker) {
	defaultBounded := c.defaultClientConfigured()
	for cur := range c.inspect.Root().Preorder((*ast.GoStmt)(nil)) {
		g := cur.Node().(*ast.GoStmt)
		loop, ok := innermostLoop(cur)
		if !ok || c.inTestFile(g.Pos()) {
			continue
		}
		calls := []*ast.CallExpr{g.Call}
		if lit, ok := g.Call.Fun.(*ast.FuncLit); ok {
			calls = nil
			ast.Inspect(lit.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					calls = append(calls, call)
				}
				_, isLit := n.(*ast.FuncLit)
				return !isLit
			})
		}
		for _, call := range calls {
			client := c.unboundedHTTP(call, defaultBounded)
			if client == "" {
				continue
			}
			d := analysis.Diagnostic{
				Pos: call.Pos(),
				End: call.End(),
				Message: fmt.Sprintf("a goroutine started on every iteration of the loop on line %d calls %s, and %s has no timeout: "+
					"against a server that never answers, the goroutines pile up forever; "+
					"use a fetch.Client, whose TryGo bounds each request and refuses when every slot is busy",
					c.line(loop.Pos()), c.src(call.Fun), client),
			}
			d.SuggestedFixes = c.fetchFix(cur, call)
			c.report(catHTTPTimeout, d)
			break
		}
	}
}

// unboundedHTTP describes the client of call, a request through a client
// with no timeout, or returns "" when call is not one.
func (c *checker) unboundedHTTP(call *ast.CallExpr, defaultBounded bool) string {
	fn, ok := typeutil.Callee(c.pass.TypesInfo, call).(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "net/http" {
		return ""
	}
	if _, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); !ok {
		return ""
	}
	if fn.Signature().Recv() == nil {
		if !slices.Contains([]string{"Get", "Head", "Post", "PostForm"}, fn.Name()) || defaultBounded {
			return ""
		}
		return "http.DefaultClient"
	}
	if !isMethodOf(fn, "net/http", "Client") || !slices.Contains([]string{"Get", "Head", "Post", "PostForm", "Do"}, fn.Name()) {
		return ""
	}
	if fn.Name() == "Do" && !c.unboundedRequest(call.Args[0]) {
		return ""
	}
	recv := ast.Unparen(call.Fun).(*ast.SelectorExpr).X
	if c.isDefaultClient(recv) {
		if defaultBounded {
			return ""
		}
		return "http.DefaultClient"
	}
	id, ok := ast.Unparen(recv).(*ast.Ident)
	if !ok {
		return ""
	}
	decl, ok := c.clientDecl(c.pass.TypesInfo.Uses[id])
	if !ok {
		return ""
	}
	return fmt.Sprintf("the http.Client made on line %d", c.line(decl.Pos()))
}

// isDefaultClient reports whether e is http.DefaultClient itself.
func (c *checker) isDefaultClient(e ast.Expr) bool {
	r := c.refOf(e)
	return len(r) == 1 && isDefaultClientVar(r[0])
}

// isDefaultClientVar reports whether obj is the variable http.DefaultClient.
func isDefaultClientVar(obj types.Object) bool {
	return obj.Pkg() != nil && obj.Pkg().Path() == "net/http" && obj.Name() == "DefaultClient"
}

// clientDecl returns the declaration of the local client variable v if it
// is made with no timeout and no transport, and used only to make
// requests; ok is false otherwise.
func (c *checker) clientDecl(v types.Object) (decl ast.Node, ok bool) {
	if v == nil || v.Parent() == nil || v.Parent() == v.Pkg().Scope() {
		return nil, false
	}
	cur, found := c.declIdent(v)
	if !found {
		return nil, false
	}
	var init ast.Expr
	switch p := cur.Parent().Node().(type) {
	case *ast.AssignStmt:
		if p.Tok != token.DEFINE || len(p.Lhs) != len(p.Rhs) {
			return nil, false
		}
		init = p.Rhs[slices.Index(p.Lhs, ast.Expr(cur.Node().(*ast.Ident)))]
		decl = p
	case *ast.ValueSpec:
		if len(p.Values) > 0 {
			if len(p.Values) != len(p.Names) {
				return nil, false
			}
			init = p.Values[slices.Index(p.Names, cur.Node().(*ast.Ident))]
		}
		decl = p
	default:
		return nil, false
	}
	if init != nil && !c.bareClient(init) {
		return nil, false
	}
	// Used only to make requests, so nothing sets a timeout later.
	fn, ok := enclosingFunc(cur)
	if !ok {
		return nil, false
	}
	ok = true
	ast.PreorderStack(fnBody(fn.Node()), nil, func(n ast.Node, stack []ast.Node) bool {
		if id, isIdent := n.(*ast.Ident); isIdent && c.pass.TypesInfo.Uses[id] == v {
			sel, isSel := stack[len(stack)-1].(*ast.SelectorExpr)
			call, isCall := stack[len(stack)-2].(*ast.CallExpr)
			if !isSel || !isCall || call.Fun != sel ||
				!slices.Contains([]string{"Get", "Head", "Post", "PostForm", "Do", "CloseIdleConnections"}, sel.Sel.Name) {
				ok = false
			}
		}
		return ok
	})
	return decl, ok
}

// bareClient reports whether e makes an http.Client with neither Timeout
// nor Transport: &http.Client{...}, http.Client{...} or new(http.Client).
func (c *checker) bareClient(e ast.Expr) bool {
	e = ast.Unparen(e)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = ast.Unparen(u.X)
	}
	switch e := e.(type) {
	case *ast.CompositeLit:
		if !isHTTPClient(c.pass.TypesInfo.TypeOf(e)) {
			return false
		}
		for _, elt := range e.Elts {
			kv, ok := elt.(*ast.KeyValueExpr)
			if !ok {
				return false
			}
			if id, ok := kv.Key.(*ast.Ident); !ok || id.Name == "Timeout" || id.Name == "Transport" {
				return false
			}
		}
		return true
	case *ast.CallExpr:
		id, ok := e.Fun.(*ast.Ident)
		return ok && id.Name == "new" && len(e.Args) == 1 && isHTTPClient(c.pass.TypesInfo.TypeOf(e.Args[0]))
	}
	return false
}

func isHTTPClient(t types.Type) bool {
	named, ok := types.Unalias(deref(t)).(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "net/http" && named.Obj().Name() == "Client"
}

// unboundedRequest reports whether req is a local variable made by
// http.NewRequest, or by http.NewRequestWithContext with
// context.Background() or context.TODO(), and not replaced since.
func (c *checker) unboundedRequest(req ast.Expr) bool {
	id, ok := ast.Unparen(req).(*ast.Ident)
	if !ok {
		return false
	}
	v := c.pass.TypesInfo.Uses[id]
	if v == nil {
		return false
	}
	cur, found := c.declIdent(v)
	if !found {
		return false
	}
	as, ok := cur.Parent().Node().(*ast.AssignStmt)
	if !ok || as.Tok != token.DEFINE || len(as.Rhs) != 1 || as.Lhs[0] != cur.Node() {
		return false
	}
	call, ok := as.Rhs[0].(*ast.CallExpr)
	if !ok {
		return false
	}
	switch {
	case c.isFunc(call, "net/http", "NewRequest"):
	case c.isFunc(call, "net/http", "NewRequestWithContext"):
		ctx, ok := ast.Unparen(call.Args[0]).(*ast.CallExpr)
		if !ok || !c.isFunc(ctx, "context", "Background", "TODO") {
			return false
		}
	default:
		return false
	}
	fn, ok := enclosingFunc(cur)
	return ok && !c.assignsIn(fnBody(fn.Node()), v)
}

// defaultClientConfigured reports whether the package assigns to
// http.DefaultClient or to one of its fields.
func (c *checker) defaultClientConfigured() bool {
	for cur := range c.inspect.Root().Preorder((*ast.AssignStmt)(nil)) {
		for _, lhs := range cur.Node().(*ast.AssignStmt).Lhs {
			if r := c.refOf(lhs); len(r) > 0 && isDefaultClientVar(r[0]) {
				return true
			}
		}
	}
	return false
}

// outermostLoop returns the outermost loop around cur in its function.
func outermostLoop(cur inspector.Cursor) ast.Stmt {
	var outer ast.Stmt
	for p := cur.Parent(); p.Node() != nil; p = p.Parent() {
		switch n := p.Node().(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			outer = n.(ast.Stmt)
			if l, ok := p.Parent().Node().(*ast.LabeledStmt); ok {
				outer = l
			}
		case *ast.FuncLit, *ast.FuncDecl:
			return outer
		}
	}
	return outer
}

// declIdent returns the cursor of the identifier that declares v.
func (c *checker) declIdent(v types.Object) (inspector.Cursor, bool) {
	cur, ok := c.inspect.Root().FindByPos(v.Pos(), v.Pos()+token.Pos(len(v.Name())))
	if !ok {
		return cur, false
	}
	id, ok := cur.Node().(*ast.Ident)
	return cur, ok && c.pass.TypesInfo.Defs[id] == v
}
