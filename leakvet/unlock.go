package leakvet

import (
	"fmt"
	"go/ast"
	"go/types"
	"slices"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/cfg"
	"golang.org/x/tools/go/types/typeutil"
)

var lockPairings = []pairing{
	{"Mutex", []string{"Lock"}, []string{"Unlock"}},
	{"RWMutex", []string{"Lock"}, []string{"Unlock"}},
	{"RWMutex", []string{"RLock"}, []string{"RUnlock"}},
}

// checkUnlock reports a Lock or RLock of a sync.Mutex or sync.RWMutex from
// which a path reaches a return without the matching unlock, when the
// function does unlock it, directly, later in the text than that return:
// the shape of an early return added above an Unlock. Functions that never
// unlock the mutex themselves (a lock helper, a hand-off to the caller)
// are not reported, nor are locks released in a closure the search cannot
// follow (a deferred func that unlocks conditionally, a goroutine, a
// callback), nor paths through a call that may release it (a method of this
// package that unlocks the same field, a call given the mutex).
//
// The fix is defer mu.Unlock() right after the Lock, with the unlocks it
// replaces removed, offered only when that changes nothing else: the Lock
// is not in a loop, the function takes the lock once, and each removed
// unlock was followed only by a return whose results call nothing that
// might take the lock again.
func checkUnlock(c *checker) {
	for cur := range c.inspect.Root().Preorder((*ast.ExprStmt)(nil)) {
		stmt := cur.Node().(*ast.ExprStmt)
		for _, p := range lockPairings {
			if r := c.syncCall(stmt.X, p.typ, p.take...); r != nil {
				checkLock(c, cur, r, p)
			}
		}
	}
}

// lockUses is what a function does with one mutex besides the Lock at hand.
type lockUses struct {
	takes    int         // direct Lock statements, the one at hand included
	direct   []*siteStmt // unlock statements
	deferred []*siteStmt // defer mu.Unlock() statements
	opaque   bool        // an unlock the search cannot follow
	// enteredHolding: the function's first use of the mutex releases it,
	// so it is called with the lock held, and returning with it held
	// again after re-taking it is its contract ("mu must be held").
	enteredHolding bool
	seen           bool // a take or release has been seen
}

// A siteStmt is a statement and the list it is in.
type siteStmt struct {
	stmt ast.Stmt
	list []ast.Stmt
}

func checkLock(c *checker, cur inspector.Cursor, r ref, p pairing) {
	lock := cur.Node().(*ast.ExprStmt)
	fnCur, ok := enclosingFunc(cur)
	if !ok {
		return
	}
	uses := c.lockUses(fnCur.Node(), r, p)
	if uses.opaque || len(uses.direct)+len(uses.deferred) == 0 || uses.enteredHolding {
		return
	}
	// A defer registered before this Lock (as in Lock, defer Unlock, then
	// Unlock and Lock again around a slow call) releases it on return.
	for _, s := range uses.deferred {
		if s.stmt.Pos() < lock.Pos() {
			return
		}
	}
	// The unlocks must be inside the block that takes the lock: one under
	// another if (as in `if doLock { mu.Unlock() }` after `if doLock {
	// mu.Lock() }`) answers a condition a path search cannot correlate.
	block := cur.Parent().Node()
	for _, s := range append(uses.direct, uses.deferred...) {
		if !(block.Pos() <= s.stmt.Pos() && s.stmt.End() <= block.End()) {
			return
		}
	}
	g := c.cfgOf(fnCur.Node())
	if g == nil {
		return
	}
	ret := unreleasedReturn(g, lock, c.classifier(r, p), c.constCond)
	if ret == nil || !slices.ContainsFunc(append(uses.direct, uses.deferred...), func(s *siteStmt) bool {
		return s.stmt.Pos() > ret.Pos()
	}) {
		return
	}
	mu := c.recvText(lock.X)
	take, release := p.take[0], p.release[0]
	d := analysis.Diagnostic{
		Pos: lock.Pos(),
		End: lock.End(),
		Message: fmt.Sprintf("%s.%s() is still held at the return on line %d, which skips the %s below it: "+
			"every later %s.%s() blocks forever; defer %s.%s() right after the %s, or use %s, which cannot leave it held",
			mu, take, c.line(ret.Pos()), release, mu, take, mu, release, take, lockxSection(p)),
		Related: []analysis.RelatedInformation{{Pos: ret.Pos(), Message: "returns holding " + mu}},
	}
	if _, inLoop := innermostLoop(cur); !inLoop && uses.takes == 1 {
		d.SuggestedFixes = c.deferUnlockFix(fnCur.Node(), lock, "defer "+mu+"."+release+"()", uses)
	}
	c.report(catUnlock, d)
}

// lockxSection names the lockx method that replaces the section.
func lockxSection(p pairing) string {
	switch {
	case p.typ == "Mutex":
		return "lockx.Mutex's Do(func(){...})"
	case p.take[0] == "RLock":
		return "lockx.RWMutex's RDo(func(){...})"
	}
	return "lockx.RWMutex's Do(func(){...})"
}

// lockUses collects what fn does with the mutex r.
func (c *checker) lockUses(fn ast.Node, r ref, p pairing) lockUses {
	var u lockUses
	ast.PreorderStack(fn, nil, func(n ast.Node, stack []ast.Node) bool {
		if u.opaque {
			return false
		}
		if lit, ok := n.(*ast.FuncLit); ok && n != fn {
			// A closure that locks and unlocks the mutex itself is its
			// own business; one that only unlocks hides a release.
			if c.callsOn(lit, r, p.typ, p.take...) {
				return false
			}
			if c.releasesIn(lit, r, p) {
				u.opaque = true
			}
			return false
		}
		switch n := n.(type) {
		case *ast.ExprStmt:
			if c.syncCall(n.X, p.typ, p.take...).equal(r) {
				u.takes++
				u.seen = true
			}
			if c.syncCall(n.X, p.typ, p.release...).equal(r) {
				u.enteredHolding = u.enteredHolding || !u.seen
				u.seen = true
				u.direct = append(u.direct, &siteStmt{n, stmtList(stack[len(stack)-1])})
				return false
			}
		case *ast.DeferStmt:
			if c.syncCall(n.Call, p.typ, p.release...).equal(r) {
				u.deferred = append(u.deferred, &siteStmt{n, stmtList(stack[len(stack)-1])})
				return false
			}
		case *ast.SelectorExpr:
			// Any other mention of the release method: a method value,
			// an unlock inside an expression.
			if slices.Contains(p.release, n.Sel.Name) && c.isSyncMethod(n, p.typ) && c.recvRef(n).equal(r) {
				u.opaque = true
			}
		}
		return true
	})
	return u
}

// callsOn reports whether n calls a method of sync type typ named one of
// names on r, anywhere, function literals included.
func (c *checker) callsOn(n ast.Node, r ref, typ string, names ...string) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		found = found || c.syncCall(n, typ, names...).equal(r)
		return !found
	})
	return found
}

// releasesIn reports whether n releases r, or the same field of another
// value, as a deferred func(fs *fileStore) { fs.mu.Unlock() }(fs) does
// through its parameter.
func (c *checker) releasesIn(n ast.Node, r ref, p pairing) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && slices.Contains(p.release, sel.Sel.Name) && c.isSyncMethod(sel, p.typ) {
			s := c.recvRef(sel)
			found = s.equal(r) || s.sameField(r)
		}
		return !found
	})
	return found
}

// stmtList returns the statements of a block-like node.
func stmtList(n ast.Node) []ast.Stmt {
	switch n := n.(type) {
	case *ast.BlockStmt:
		return n.List
	case *ast.CaseClause:
		return n.Body
	case *ast.CommClause:
		return n.Body
	}
	return nil
}

// cfgOf returns the control-flow graph of a function declaration or literal.
func (c *checker) cfgOf(fn ast.Node) *cfg.CFG {
	switch fn := fn.(type) {
	case *ast.FuncDecl:
		if fn.Body != nil {
			return c.cfgs.FuncDecl(fn)
		}
	case *ast.FuncLit:
		return c.cfgs.FuncLit(fn)
	}
	return nil
}

// deferUnlockFix moves the release to a defer right after take, in the
// function fn, deleting the statements it replaces, when each of them is
// followed by nothing but a return that is safe to evaluate with the lock
// held, or ends fn. It returns nil when it is not.
func (c *checker) deferUnlockFix(fn ast.Node, take ast.Stmt, deferText string, u lockUses) []analysis.SuggestedFix {
	body := fnBody(fn).List
	var edits []analysis.TextEdit
	for _, s := range u.direct {
		i := slices.Index(s.list, s.stmt)
		if s.stmt.Pos() < take.Pos() || i < 0 {
			return nil
		}
		if i+1 < len(s.list) {
			ret, ok := s.list[i+1].(*ast.ReturnStmt)
			if !ok || !c.safeUnderLock(ret) {
				return nil
			}
		} else if len(body) == 0 || s.stmt != body[len(body)-1] {
			return nil // the last of a nested block: more may follow
		}
		edits = append(edits, c.deleteStmt(s.stmt))
	}
	for _, s := range u.deferred { // all after take: see checkLock
		edits = append(edits, c.deleteStmt(s.stmt))
	}
	edits = append(edits, insert(c.lineEnd(take.End()), "\n"+c.indent(take.Pos())+deferText))
	return fix(deferText+" right after the lock, in place of the unlocks", edits...)
}

// safeUnderLock reports whether ret's results can be evaluated with the
// lock still held: they call nothing of this package, no function value and
// no method through an interface, and pass no value of this package's types
// to what they call (a String method might take the lock).
func (c *checker) safeUnderLock(ret *ast.ReturnStmt) bool {
	info := c.pass.TypesInfo
	safe := true
	for _, e := range ret.Results {
		ast.Inspect(e, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				safe = false
			case *ast.CallExpr:
				if tv, ok := info.Types[n.Fun]; ok && tv.IsType() {
					return true
				}
				if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok {
					if _, ok := info.Uses[id].(*types.Builtin); ok {
						return true
					}
				}
				fn := typeutil.StaticCallee(info, n)
				if fn == nil || fn.Pkg() == c.pass.Pkg {
					safe = false
				}
				for _, arg := range n.Args {
					if c.ownType(info.TypeOf(arg)) {
						safe = false
					}
				}
			}
			return safe
		})
	}
	return safe
}

// ownType reports whether t is, or points to, a named type of this package.
func (c *checker) ownType(t types.Type) bool {
	named, ok := types.Unalias(deref(t)).(*types.Named)
	return ok && named.Obj().Pkg() == c.pass.Pkg
}
