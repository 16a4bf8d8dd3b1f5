package leakvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
)

// firstFix rewrites the "first result wins" shape onto group.First:
//
//	ch := make(chan T)
//	for _, fn := range fns {
//		go func() {
//			v, _ := fn(ctx)
//			ch <- v
//		}()
//	}
//	x = <-ch
//
// becomes x, _ = group.First(ctx, fns...). It returns nil for any other
// shape, or when the package does not import leakproof already.
func (c *checker) firstFix(mkCur inspector.Cursor, f *fanout) []analysis.SuggestedFix {
	if !c.leakproofImportable() || len(f.sends) != 1 || len(f.recvs) != 1 || f.closes > 0 || f.guarded {
		return nil
	}
	decl, ok := mkCur.Parent().Node().(*ast.AssignStmt)
	if !ok {
		return nil
	}
	list := stmtList(mkCur.Parent().Parent().Node())
	i := -1
	for k, s := range list {
		if s == decl {
			i = k
		}
	}
	if i < 0 || i+2 >= len(list) || list[i+1] != f.loop {
		return nil
	}
	loop, ok := f.loop.(*ast.RangeStmt)
	recvStmt, ok2 := list[i+2].(*ast.AssignStmt)
	if !ok || !ok2 || len(recvStmt.Lhs) != 1 || len(recvStmt.Rhs) != 1 || recvStmt.Rhs[0] != f.recvs[0].node ||
		loop.Key != nil && !isBlank(loop.Key) || loop.Tok != token.DEFINE || len(loop.Body.List) != 1 {
		return nil
	}
	q, ok := loop.Value.(*ast.Ident)
	g, ok2 := loop.Body.List[0].(*ast.GoStmt)
	if !ok || !ok2 || len(g.Call.Args) > 0 {
		return nil
	}
	lit, ok := g.Call.Fun.(*ast.FuncLit)
	if !ok || lit.Type.Params.NumFields() > 0 || len(lit.Body.List) != 2 || lit.Body.List[1] != f.sends[0] {
		return nil
	}
	call, ok := lit.Body.List[0].(*ast.AssignStmt)
	if !ok || call.Tok != token.DEFINE || len(call.Lhs) != 2 || len(call.Rhs) != 1 || !isBlank(call.Lhs[1]) {
		return nil
	}
	v, ok := call.Lhs[0].(*ast.Ident)
	fn, ok2 := call.Rhs[0].(*ast.CallExpr)
	if !ok || !ok2 || !c.isIdent(fn.Fun, c.pass.TypesInfo.Defs[q]) || len(fn.Args) != 1 ||
		!c.isIdent(f.sends[0].Value, c.pass.TypesInfo.Defs[v]) {
		return nil
	}
	ctx, ok := fn.Args[0].(*ast.Ident)
	if !ok || !c.visibleAt(ctx, recvStmt.Pos()) || !c.visibleAt(loop.X, recvStmt.Pos()) || !c.firstCompatible(loop.X, mkCur.Node()) {
		return nil
	}
	name, edits, ok := c.importName(recvStmt.Pos(), leakproof+"/group")
	if !ok {
		return nil
	}
	text := c.src(recvStmt.Lhs[0]) + ", _ " + recvStmt.Tok.String() + " " + name + ".First(" + ctx.Name + ", " + c.src(loop.X) + "...)"
	edits = append(edits,
		analysis.TextEdit{Pos: c.lineStart(decl.Pos()), End: c.lineEnd(loop.End()) + 1},
		replace(recvStmt, text))
	return fix("group.First: the first result wins, and the others are cancelled and never block", edits...)
}

// firstCompatible reports whether fns is a slice of
// func(context.Context) (T, error) with T the element type of the channel
// that mk makes.
func (c *checker) firstCompatible(fns ast.Expr, mk ast.Node) bool {
	info := c.pass.TypesInfo
	sl, ok := types.Unalias(info.TypeOf(fns)).Underlying().(*types.Slice)
	if !ok {
		return false
	}
	sig, ok := sl.Elem().Underlying().(*types.Signature)
	if !ok || sig.Params().Len() != 1 || sig.Results().Len() != 2 || sig.Variadic() {
		return false
	}
	ctxType := sig.Params().At(0).Type().String()
	errType := sig.Results().At(1).Type()
	elem := info.TypeOf(mk.(*ast.CallExpr)).Underlying().(*types.Chan).Elem()
	return ctxType == "context.Context" && types.Identical(errType, types.Universe.Lookup("error").Type()) &&
		types.Identical(sig.Results().At(0).Type(), elem)
}

// bufferFix gives the channel a buffer of the loop's length, when each
// goroutine sends once and the length can be written where the channel is
// made. It returns nil otherwise.
func (c *checker) bufferFix(mkCur, fnCur inspector.Cursor, f *fanout) []analysis.SuggestedFix {
	if len(f.senders) != 1 || len(f.sends) != 1 || f.looped || f.guarded {
		return nil
	}
	mk := mkCur.Node().(*ast.CallExpr)
	// The loop must run once per make: the loop around it, if any, must
	// hold the make too.
	loopCur, ok := fnCur.FindNode(f.loop)
	if !ok {
		return nil
	}
	if outer, ok := innermostLoop(loopCur); ok && !(outer.Pos() <= mk.Pos() && mk.Pos() < outer.End()) {
		return nil
	}
	size := c.loopLength(f.loop, mk.Pos(), fnBody(fnCur.Node()))
	if size == "" {
		return nil
	}
	return bufferEdit(mk, size)
}

// bufferEdit gives the channel mk makes a buffer of size.
func bufferEdit(mk *ast.CallExpr, size string) []analysis.SuggestedFix {
	var edit analysis.TextEdit
	if len(mk.Args) == 1 {
		edit = insert(mk.Rparen, ", "+size)
	} else {
		edit = replace(mk.Args[1], size)
	}
	return fix("buffer the channel for every sender: make(..., "+size+")", edit)
}

// loopLength returns the source text of loop's length as it can be written
// at pos: a constant, or len(x) for a range over x or a loop counting to
// len(x), with x unchanged between pos and the loop. It returns "" when it
// cannot.
func (c *checker) loopLength(loop ast.Stmt, pos token.Pos, body *ast.BlockStmt) string {
	if n, ok := c.tripCount(loop); ok {
		return strconv.FormatInt(n, 10)
	}
	var x ast.Expr
	switch l := loop.(type) {
	case *ast.RangeStmt:
		switch t := deref(c.pass.TypesInfo.TypeOf(l.X)).Underlying().(type) {
		case *types.Slice, *types.Array, *types.Map:
			x = l.X
		case *types.Basic:
			if t.Info()&types.IsString != 0 {
				x = l.X // len counts bytes, at least the runes range yields
			}
		}
	case *ast.ForStmt:
		init, ok := l.Init.(*ast.AssignStmt)
		cond, ok2 := l.Cond.(*ast.BinaryExpr)
		if !ok || !ok2 || cond.Op != token.LSS || len(init.Rhs) != 1 {
			return ""
		}
		if from, ok := c.constInt(init.Rhs[0]); !ok || from != 0 {
			return ""
		}
		call, ok := ast.Unparen(cond.Y).(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return ""
		}
		if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "len" {
			return ""
		}
		x = call.Args[0]
	}
	r := c.refOf(x)
	if x == nil || r == nil || !c.visibleAt(x, pos) || c.assignedBetween(body, r.root(), pos, loop.Pos()) {
		return ""
	}
	return "len(" + c.src(x) + ")"
}

// visibleAt reports whether the variable at the root of e is in scope at
// pos, under the same name.
func (c *checker) visibleAt(e ast.Expr, pos token.Pos) bool {
	r := c.refOf(e)
	if r == nil {
		return false
	}
	root := r.root()
	if root.Parent() == root.Pkg().Scope() {
		return true // a package-level variable, possibly qualified
	}
	_, obj := c.pass.Pkg.Scope().Innermost(pos).LookupParent(root.Name(), pos)
	return obj == root
}

// assignedBetween reports whether body assigns to v between from and to.
func (c *checker) assignedBetween(body *ast.BlockStmt, v types.Object, from, to token.Pos) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil || n.End() < from || n.Pos() > to {
			return false
		}
		if s, ok := n.(ast.Stmt); ok && from <= s.Pos() && s.End() <= to {
			if _, isBlock := s.(*ast.BlockStmt); !isBlock && c.assignsIn(s, v) {
				found = true
			}
		}
		return !found
	})
	return found
}
