package leakvet

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
)

// checkNilchan reports sends, receives and range loops on a channel
// variable or field that nothing ever gives a value: declared with var and
// no initializer, or an unexported struct field, and never assigned, never
// set in a composite literal, never address-taken, anywhere in the package.
// Such a channel is nil on every path, and every operation on it blocks
// forever.
//
// Not reported: a select case (a nil channel there is the idiom for turning
// a case off); a channel compared with nil anywhere in the package (the
// code knows it may be nil, as with a test hook set only by tests); exported
// variables and fields, which other packages may set; parameters and
// results. There is no suggested fix: the missing make (and who receives)
// is the author's call.
func checkNilchan(c *checker) {
	var zero map[types.Object]bool // var declarations without a value
	root := c.inspect.Root()
	for cur := range root.Preorder((*ast.ValueSpec)(nil)) {
		spec := cur.Node().(*ast.ValueSpec)
		if len(spec.Values) > 0 {
			continue
		}
		for _, id := range spec.Names {
			if v, ok := c.pass.TypesInfo.Defs[id].(*types.Var); ok && isChan(v.Type()) {
				if zero == nil {
					zero = make(map[types.Object]bool)
				}
				zero[v] = true
			}
		}
	}
	nodeTypes := []ast.Node{(*ast.SendStmt)(nil), (*ast.UnaryExpr)(nil), (*ast.RangeStmt)(nil)}
	for cur := range root.Preorder(nodeTypes...) {
		var ch ast.Expr
		var what string
		switch n := cur.Node().(type) {
		case *ast.SendStmt:
			ch, what = n.Chan, "send on"
		case *ast.UnaryExpr:
			if n.Op != token.ARROW {
				continue
			}
			ch, what = n.X, "receive from"
		case *ast.RangeStmt:
			if !isChan(c.pass.TypesInfo.TypeOf(n.X)) {
				continue
			}
			ch, what = n.X, "range over"
		}
		obj := c.neverMade(ch, zero)
		if obj == nil || inSelectCase(cur) {
			continue
		}
		reportNilchan(c, cur.Node(), ch, what)
	}
}

func reportNilchan(c *checker, n ast.Node, ch ast.Expr, what string) {
	name := c.src(ch)
	var instead string
	switch what {
	case "send on":
		instead = "chanx.Send(ctx, " + name + ", v)"
	default:
		instead = "chanx.Recv(ctx, " + name + ")"
	}
	c.report(catNilchan, analysis.Diagnostic{
		Pos: n.Pos(),
		End: n.End(),
		Message: what + " nil channel " + name + ", which is never made or assigned anywhere: " +
			"this blocks forever; make the channel, or use " + instead + ", which refuses a nil channel with chanx.ErrNilChannel",
	})
}

// neverMade returns the variable or field ch denotes if it is nil on every
// path, as checkNilchan describes; nil otherwise.
func (c *checker) neverMade(ch ast.Expr, zero map[types.Object]bool) types.Object {
	r := c.refOf(ch)
	if r == nil {
		return nil
	}
	obj := r[len(r)-1].(*types.Var)
	switch {
	case obj.IsField():
		if obj.Exported() || obj.Pkg() != c.pass.Pkg || !isChan(obj.Type()) {
			return nil
		}
		c.scanAssignments()
		if !c.constructed[obj] {
			return nil // no value of its struct is made here: tests may make them all
		}
	case !zero[obj]:
		return nil
	case obj.Parent() == obj.Pkg().Scope() && obj.Exported():
		return nil
	}
	c.scanAssignments()
	if c.assigned[obj] || c.nilCmp[obj] {
		return nil
	}
	return obj
}

// inSelectCase reports whether cur is the communication of a select case.
func inSelectCase(cur inspector.Cursor) bool {
	pos := cur.Node().Pos()
	for p := cur.Parent(); p.Node() != nil; p = p.Parent() {
		switch n := p.Node().(type) {
		case *ast.CommClause:
			return n.Comm != nil && n.Comm.Pos() <= pos && pos < n.Comm.End()
		case *ast.FuncLit, *ast.FuncDecl, *ast.BlockStmt:
			return false
		}
	}
	return false
}

// scanAssignments fills c.assigned with every variable and field the
// package gives a value (assignment, composite literal, address taken,
// range) and c.nilCmp with those compared with nil.
func (c *checker) scanAssignments() {
	if c.assigned != nil {
		return
	}
	c.assigned = make(map[types.Object]bool)
	c.nilCmp = make(map[types.Object]bool)
	c.constructed = make(map[types.Object]bool)
	info := c.pass.TypesInfo
	mark := func(set map[types.Object]bool, e ast.Expr) {
		if r := c.refOf(e); r != nil {
			set[r[len(r)-1]] = true
		}
	}
	nodeTypes := []ast.Node{(*ast.AssignStmt)(nil), (*ast.UnaryExpr)(nil), (*ast.RangeStmt)(nil), (*ast.CompositeLit)(nil), (*ast.BinaryExpr)(nil),
		(*ast.CallExpr)(nil), (*ast.ValueSpec)(nil)}
	for cur := range c.inspect.Root().Preorder(nodeTypes...) {
		switch n := cur.Node().(type) {
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				mark(c.assigned, lhs)
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				mark(c.assigned, n.X)
			}
		case *ast.RangeStmt:
			if n.Key != nil {
				mark(c.assigned, n.Key)
			}
			if n.Value != nil {
				mark(c.assigned, n.Value)
			}
		case *ast.CallExpr:
			// new(T) and make([]T, n) make values of T.
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && (id.Name == "new" || id.Name == "make") && len(n.Args) > 0 {
				if _, ok := info.Uses[id].(*types.Builtin); ok {
					c.construct(info.TypeOf(n.Args[0]))
				}
			}
		case *ast.ValueSpec:
			if n.Type != nil {
				c.construct(info.TypeOf(n.Type))
			}
		case *ast.CompositeLit:
			c.construct(info.TypeOf(n))
			st, ok := deref(info.TypeOf(n)).Underlying().(*types.Struct)
			if !ok || len(n.Elts) == 0 {
				continue
			}
			for i, e := range n.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok {
						if f, ok := info.Uses[id].(*types.Var); ok {
							c.assigned[f.Origin()] = true
						}
					}
				} else if i < st.NumFields() {
					c.assigned[st.Field(i).Origin()] = true
				}
			}
		case *ast.BinaryExpr:
			if n.Op != token.EQL && n.Op != token.NEQ {
				continue
			}
			if info.Types[n.Y].IsNil() {
				mark(c.nilCmp, n.X)
			} else if info.Types[n.X].IsNil() {
				mark(c.nilCmp, n.Y)
			}
		}
	}
}

// construct records the fields of the structs a value of type t holds
// (through arrays, slices and embedding) as belonging to a value this
// package makes.
func (c *checker) construct(t types.Type) {
	for t != nil {
		switch u := types.Unalias(t).Underlying().(type) {
		case *types.Array:
			t = u.Elem()
			continue
		case *types.Slice:
			t = u.Elem()
			continue
		case *types.Struct:
			for f := range u.Fields() {
				if !c.constructed[f.Origin()] {
					c.constructed[f.Origin()] = true
					if f.Embedded() {
						c.construct(f.Type())
					}
				}
			}
		}
		return
	}
}

func isChan(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := types.Unalias(t).Underlying().(*types.Chan)
	return ok
}
