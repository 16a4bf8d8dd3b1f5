package leakvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"go/version"
	"slices"

	"golang.org/x/tools/go/analysis"
)

// deferDoneFix replaces the Done statements with a defer at the top of
// body, when each is followed only by a return or ends the function.
func (c *checker) deferDoneFix(body *ast.BlockStmt, deferText string, sites []*siteStmt) []analysis.SuggestedFix {
	var edits []analysis.TextEdit
	for _, s := range sites {
		i := slices.Index(s.list, s.stmt)
		if i < 0 {
			return nil
		}
		if i+1 < len(s.list) {
			if _, ok := s.list[i+1].(*ast.ReturnStmt); !ok {
				return nil
			}
		} else if len(body.List) == 0 || s.stmt != body.List[len(body.List)-1] {
			return nil // the last of a nested block: more may follow
		}
		edits = append(edits, c.deleteStmt(s.stmt))
	}
	first := body.List[0]
	edits = append(edits, insert(first.Pos(), deferText+"\n"+c.indent(first.Pos())))
	return fix(deferText+" at the top of the function, in place of the Done calls", edits...)
}

// goFix rewrites each counted goroutine to name.Go(f), deletes the Add, and
// makes a local sync.WaitGroup a group.Group where that is possible. It
// returns nil when no rewrite compiles.
func (c *checker) goFix(add *ast.ExprStmt, name string, r ref, gos []counted, local bool) []analysis.SuggestedFix {
	var edits []analysis.TextEdit
	msg := name + ".Go(f) in place of Add and go"
	typeSwitched := false
	if local && c.leakproofImportable() {
		if e := c.toGroupGroup(r.root(), add.Pos()); e != nil {
			edits = append(edits, e...)
			typeSwitched = true
			msg = "a group.Group, and " + msg
		}
	}
	if !typeSwitched && !c.hasWaitGroupGo(add.Pos()) {
		return nil
	}
	edits = append(edits, c.deleteStmt(add))
	for _, g := range gos {
		lit, ok := g.stmt.Call.Fun.(*ast.FuncLit)
		if !ok || len(g.stmt.Call.Args) > 0 || lit.Type.Params.NumFields() > 0 {
			return nil
		}
		edits = append(edits,
			analysis.TextEdit{Pos: g.stmt.Go, End: lit.Pos(), NewText: []byte(name + ".Go(")},
			analysis.TextEdit{Pos: lit.End(), End: g.stmt.Call.End(), NewText: []byte(")")},
			c.deleteStmt(g.done))
	}
	return fix(msg, edits...)
}

// hasWaitGroupGo reports whether the file at pos has sync.WaitGroup.Go,
// which came in Go 1.25.
func (c *checker) hasWaitGroupGo(pos token.Pos) bool {
	v := c.pass.TypesInfo.FileVersions[c.file(pos)]
	return version.IsValid(v) && version.Compare(v, "go1.25") >= 0
}

// toGroupGroup returns the edits that make the local WaitGroup wg a
// group.Group, or nil if its uses are not all calls of methods the two
// share (Add, Done, Wait, Go), or the import cannot be added.
func (c *checker) toGroupGroup(wg types.Object, pos token.Pos) []analysis.TextEdit {
	f := c.file(pos)
	var typ *ast.SelectorExpr
	ok := true
	ast.PreorderStack(f, nil, func(n ast.Node, stack []ast.Node) bool {
		id, isIdent := n.(*ast.Ident)
		if !isIdent || !ok {
			return ok
		}
		if c.pass.TypesInfo.Defs[id] == wg {
			// The declaration: find sync.WaitGroup in it.
			ast.Inspect(stack[len(stack)-1], func(n ast.Node) bool {
				if sel, isSel := n.(*ast.SelectorExpr); isSel {
					if tn, isType := c.pass.TypesInfo.Uses[sel.Sel].(*types.TypeName); isType &&
						tn.Pkg() != nil && tn.Pkg().Path() == "sync" && tn.Name() == "WaitGroup" {
						typ = sel
					}
				}
				return typ == nil
			})
			return false
		}
		if c.pass.TypesInfo.Uses[id] != wg {
			return true
		}
		sel, isSel := stack[len(stack)-1].(*ast.SelectorExpr)
		if !isSel || len(stack) < 2 || !slices.Contains([]string{"Add", "Done", "Wait", "Go"}, sel.Sel.Name) {
			ok = false
			return false
		}
		if call, isCall := stack[len(stack)-2].(*ast.CallExpr); !isCall || call.Fun != sel {
			ok = false
		}
		return false
	})
	if !ok || typ == nil {
		return nil
	}
	name, edits, ok := c.importName(typ.Pos(), leakproof+"/group")
	if !ok {
		return nil
	}
	return append(edits, replace(typ, name+".Group"))
}
