package leakvet

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/cfg"
	"golang.org/x/tools/go/types/typeutil"
)

// The path search that unlock and wgdrift share, as lostcancel walks the
// control-flow graph for a cancel function: a resource is held from some
// point on (a Lock, or a goroutine's start for its WaitGroup's Done), and
// the question is whether some path reaches a return without releasing it.

// A step is what one node of the graph does to the resource.
type step int

const (
	stepNone    step = iota // nothing: the path goes on
	stepRelease             // releases it: the path is fine
	stepStop                // takes it again: the path is not this search's
)

// unreleasedReturn returns a return statement that a path from just after
// from reaches with every node classified stepNone, or nil if there is
// none. A nil from starts at the function's entry. The return may be the
// synthetic one cfg adds at the end of a body that falls off its end.
// constCond reports the value of a branch condition that is a constant, so
// that the search does not follow the branch an if false never takes.
func unreleasedReturn(g *cfg.CFG, from ast.Node, classify func(ast.Node) step, constCond func(ast.Expr) (bool, bool)) *ast.ReturnStmt {
	var start *cfg.Block
	var rest []ast.Node
	if from == nil {
		start, rest = g.Blocks[0], g.Blocks[0].Nodes
	} else {
	outer:
		for _, b := range g.Blocks {
			for i, n := range b.Nodes {
				if n == from {
					start, rest = b, b.Nodes[i+1:]
					break outer
				}
			}
		}
	}
	if start == nil {
		return nil
	}
	first := func(nodes []ast.Node) step {
		for _, n := range nodes {
			if s := classify(n); s != stepNone {
				return s
			}
		}
		return stepNone
	}
	if first(rest) != stepNone {
		return nil
	}
	if ret := start.Return(); ret != nil {
		return ret
	}
	seen := make([]bool, len(g.Blocks))
	var search func([]*cfg.Block) *ast.ReturnStmt
	search = func(blocks []*cfg.Block) *ast.ReturnStmt {
		for _, b := range blocks {
			if seen[b.Index] {
				continue
			}
			seen[b.Index] = true
			if first(b.Nodes) != stepNone {
				continue
			}
			if ret := b.Return(); ret != nil {
				return ret
			}
			if ret := search(feasible(b, constCond)); ret != nil {
				return ret
			}
		}
		return nil
	}
	return search(feasible(start, constCond))
}

// feasible returns the successors of b that a path can take: both of a
// conditional block, unless its condition is a constant.
func feasible(b *cfg.Block, constCond func(ast.Expr) (bool, bool)) []*cfg.Block {
	if len(b.Succs) != 2 || len(b.Nodes) == 0 {
		return b.Succs
	}
	cond, ok := b.Nodes[len(b.Nodes)-1].(ast.Expr)
	if !ok {
		return b.Succs
	}
	v, ok := constCond(cond)
	switch {
	case !ok:
		return b.Succs
	case v:
		return b.Succs[:1]
	}
	return b.Succs[1:]
}

// constCond reports the value of a boolean constant expression.
func (c *checker) constCond(e ast.Expr) (value, ok bool) {
	tv, found := c.pass.TypesInfo.Types[e]
	if !found || tv.Value == nil || tv.Value.Kind() != constant.Bool {
		return false, false
	}
	return constant.BoolVal(tv.Value), true
}

// A pairing describes one resource: the sync type and the methods that take
// and release it (Mutex: Lock and Unlock; WaitGroup: none and Done).
type pairing struct {
	typ     string
	take    []string
	release []string
}

// classifier returns the step function for the resource r under p: a node
// releases it if it calls a release method on r (in a closure too), passes
// r's address or r itself to a call, or calls a function of this package
// that releases the same field; it stops the path if it takes r again.
func (c *checker) classifier(r ref, p pairing) func(ast.Node) step {
	return func(n ast.Node) step {
		s := stepNone
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if slices.Contains(p.release, n.Sel.Name) && c.isSyncMethod(n, p.typ) && c.recvRef(n).equal(r) {
					s = stepRelease
				}
			case *ast.UnaryExpr:
				if n.Op == token.AND && c.refOf(n.X).equal(r) {
					s = stepRelease
				}
			case *ast.CallExpr:
				if c.syncCall(n, p.typ, p.take...).equal(r) {
					s = stepStop
					return false
				}
				for _, arg := range n.Args {
					if c.refOf(arg).equal(r) {
						s = stepRelease
					}
				}
				if fn := typeutil.StaticCallee(c.pass.TypesInfo, n); fn != nil && len(r) > 1 &&
					c.releasers(p)[fn][r[len(r)-1]] {
					s = stepRelease
				}
			}
			return s == stepNone
		})
		return s
	}
}

// isSyncMethod reports whether sel selects a method of sync type typ.
func (c *checker) isSyncMethod(sel *ast.SelectorExpr, typ string) bool {
	s, ok := c.pass.TypesInfo.Selections[sel]
	if !ok || s.Kind() != types.MethodVal {
		return false
	}
	fn, ok := s.Obj().(*types.Func)
	return ok && isMethodOf(fn, "sync", typ)
}

// releasers maps each function and method declared in the package to the
// fields on which it calls a release method of p, so that a path through
// s.unlockAndNotify() counts as releasing s.mu.
func (c *checker) releasers(p pairing) map[*types.Func]map[types.Object]bool {
	key := p.typ + "." + p.release[0]
	if m, ok := c.releaseFuncs[key]; ok {
		return m
	}
	m := make(map[*types.Func]map[types.Object]bool)
	for cur := range c.inspect.Root().Preorder((*ast.FuncDecl)(nil)) {
		decl := cur.Node().(*ast.FuncDecl)
		fn, ok := c.pass.TypesInfo.Defs[decl.Name].(*types.Func)
		if !ok || decl.Body == nil {
			continue
		}
		ast.Inspect(decl.Body, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || !slices.Contains(p.release, sel.Sel.Name) || !c.isSyncMethod(sel, p.typ) {
				return true
			}
			if r := c.recvRef(sel); len(r) > 1 {
				if m[fn] == nil {
					m[fn] = make(map[types.Object]bool)
				}
				m[fn][r[len(r)-1]] = true
			}
			return true
		})
	}
	if c.releaseFuncs == nil {
		c.releaseFuncs = make(map[string]map[*types.Func]map[types.Object]bool)
	}
	c.releaseFuncs[key] = m
	return m
}
