package leakvet

import (
	"go/ast"
	"go/constant"
	"go/types"
	"slices"

	"golang.org/x/tools/go/types/typeutil"
)

// A ref names a variable by the objects along its selector path: [v] for a
// variable v, [v f g] for v.f.g, with the implicit embedded fields spelled
// out, so that s.Lock() and s.Mutex.Unlock() name the same mutex. Fields are
// their generic origins. The checks compare refs to tell whether two
// expressions denote the same lock or WaitGroup.
type ref []types.Object

func (r ref) equal(s ref) bool { return len(r) > 0 && slices.Equal(r, s) }

// sameField reports whether r and s end in the same field, as x.mu and
// y.mu do for two values x and y of one struct type.
func (r ref) sameField(s ref) bool {
	return len(r) > 1 && len(s) > 1 && r[len(r)-1] == s[len(s)-1]
}

// root returns the variable a ref starts from.
func (r ref) root() types.Object { return r[0] }

// refOf returns the ref of e, or nil if e is not a path of variables and
// fields (an index, a call, a conversion...).
func (c *checker) refOf(e ast.Expr) ref {
	info := c.pass.TypesInfo
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if v, ok := info.ObjectOf(e).(*types.Var); ok {
			return ref{v}
		}
	case *ast.StarExpr:
		return c.refOf(e.X)
	case *ast.SelectorExpr:
		if id, ok := ast.Unparen(e.X).(*ast.Ident); ok {
			if _, ok := info.Uses[id].(*types.PkgName); ok {
				if v, ok := info.Uses[e.Sel].(*types.Var); ok {
					return ref{v}
				}
				return nil
			}
		}
		sel, ok := info.Selections[e]
		if !ok || sel.Kind() != types.FieldVal {
			return nil
		}
		base := c.refOf(e.X)
		if base == nil {
			return nil
		}
		return append(embedded(base, sel), sel.Obj().(*types.Var).Origin())
	}
	return nil
}

// recvRef returns the ref of the receiver of a method call through sel,
// including the embedded fields the method was promoted through.
func (c *checker) recvRef(sel *ast.SelectorExpr) ref {
	s, ok := c.pass.TypesInfo.Selections[sel]
	if !ok || s.Kind() != types.MethodVal {
		return nil
	}
	base := c.refOf(sel.X)
	if base == nil {
		return nil
	}
	return embedded(base, s)
}

// embedded appends to base the implicit embedded fields sel goes through.
func embedded(base ref, sel *types.Selection) ref {
	r := slices.Clip(base)
	t := sel.Recv()
	index := sel.Index()
	for _, i := range index[:len(index)-1] {
		st, ok := deref(t).Underlying().(*types.Struct)
		if !ok {
			return r
		}
		f := st.Field(i)
		r = append(r, f.Origin())
		t = f.Type()
	}
	return r
}

func deref(t types.Type) types.Type {
	if p, ok := types.Unalias(t).Underlying().(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

// syncCall matches a call of method name of sync type typ (Mutex, RWMutex,
// WaitGroup), directly or promoted through embedding, and returns the ref of
// its receiver; nil when call is something else or the receiver is not a
// path of variables.
func (c *checker) syncCall(n ast.Node, typ string, names ...string) ref {
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return nil
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || !slices.Contains(names, sel.Sel.Name) {
		return nil
	}
	fn, ok := typeutil.Callee(c.pass.TypesInfo, call).(*types.Func)
	if !ok || !isMethodOf(fn, "sync", typ) {
		return nil
	}
	return c.recvRef(sel)
}

// recvText returns the source text of the receiver of a method call.
func (c *checker) recvText(call ast.Expr) string {
	return c.src(ast.Unparen(call.(*ast.CallExpr).Fun).(*ast.SelectorExpr).X)
}

// isMethodOf reports whether fn is a method of the named type pkg.typ.
func isMethodOf(fn *types.Func, pkg, typ string) bool {
	if fn.Pkg() == nil || fn.Pkg().Path() != pkg {
		return false
	}
	recv := fn.Signature().Recv()
	if recv == nil {
		return false
	}
	named, ok := types.Unalias(deref(recv.Type())).(*types.Named)
	return ok && named.Obj().Name() == typ
}

// isFunc reports whether call calls the package-level function pkg.name.
func (c *checker) isFunc(call *ast.CallExpr, pkg string, names ...string) bool {
	fn, ok := typeutil.Callee(c.pass.TypesInfo, call).(*types.Func)
	return ok && fn.Pkg() != nil && fn.Pkg().Path() == pkg &&
		fn.Signature().Recv() == nil && slices.Contains(names, fn.Name())
}

// uses reports whether n refers to obj anywhere, nested functions included.
func (c *checker) uses(n ast.Node, obj types.Object) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && c.pass.TypesInfo.Uses[id] == obj {
			found = true
		}
		return !found
	})
	return found
}

// constInt returns the value of e if it is an integer constant.
func (c *checker) constInt(e ast.Expr) (int64, bool) {
	tv, ok := c.pass.TypesInfo.Types[e]
	if !ok || tv.Value == nil {
		return 0, false
	}
	return constant.Int64Val(constant.ToInt(tv.Value))
}

// isBlank reports whether e is the blank identifier.
func isBlank(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "_"
}

// isIdent reports whether e is an identifier for obj.
func (c *checker) isIdent(e ast.Expr, obj types.Object) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && obj != nil && c.pass.TypesInfo.ObjectOf(id) == obj
}
