package leakvet

import (
	"fmt"
	"go/ast"
	"go/types"
	"slices"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

var (
	donePairing = pairing{"WaitGroup", nil, []string{"Done"}}
	addPairing  = pairing{"WaitGroup", nil, []string{"Add"}} // for releasers: who calls Add
)

// checkWGDrift reports sync.WaitGroup counts that cannot match, in three
// shapes:
//
//   - count: a local WaitGroup's Add(n), with n constant, followed in its
//     block by goroutines whose number is constant and differs from n;
//   - skip: a continue, break or return between an Add and the go
//     statement whose Done answers it;
//   - early: a function that calls Done, not deferred, with a path to a
//     return that skips it.
//
// Only what can be counted is reported: every use of the WaitGroup must be
// accounted for, loops must have constant trip counts, and a return that
// skips a go statement counts only when someone else waits (the WaitGroup
// is not a local variable, or a deferred Wait does).
//
// The fixes remove the Add and start each goroutine with wg.Go(f), which
// counts the goroutine itself, so the count cannot drift. A local
// sync.WaitGroup becomes a group.Group (same Add, Done, Wait and Go; task
// panics re-raised by Wait; WaitContext for a wait that can give up) when
// the package already imports leakproof; otherwise it stays a
// sync.WaitGroup, whose Go method needs Go 1.25. The early shape is fixed
// with defer wg.Done() at the top of the function.
func checkWGDrift(c *checker) {
	for cur := range c.inspect.Root().Preorder((*ast.ExprStmt)(nil)) {
		stmt := cur.Node().(*ast.ExprStmt)
		r := c.syncCall(stmt.X, "WaitGroup", "Add")
		if r == nil {
			continue
		}
		n, ok := c.constInt(stmt.X.(*ast.CallExpr).Args[0])
		if !ok || n <= 0 {
			continue
		}
		fnCur, ok := enclosingFunc(cur)
		list := stmtList(cur.Parent().Node())
		i := slices.Index(list, ast.Stmt(stmt))
		if !ok || i < 0 {
			continue
		}
		if !checkAddCount(c, fnCur.Node(), list, i, r, n) {
			checkAddSkip(c, fnCur.Node(), list, i, r, n)
		}
	}
	for cur := range c.inspect.Root().Preorder(funcTypes...) {
		checkEarlyDone(c, cur)
	}
}

// A counted goroutine is a go statement whose function literal calls Done
// exactly once, on every path.
type counted struct {
	stmt *ast.GoStmt
	done ast.Stmt // the Done call or its defer
}

// checkAddCount reports the count shape for the Add statement list[i] in
// the function fn, and says whether the Add could be counted at all (so
// that the skip shape need not look at it).
func checkAddCount(c *checker, fn ast.Node, list []ast.Stmt, i int, r ref, n int64) bool {
	add := list[i].(*ast.ExprStmt)
	if len(r) != 1 || !declaredIn(r.root(), fnBody(fn)) {
		return false
	}
	wg := r.root()
	var gos []counted
	total, waits := int64(0), 0
	for _, s := range list[i+1:] {
		if es, ok := s.(*ast.ExprStmt); ok && c.syncCall(es.X, "WaitGroup", "Wait").equal(r) {
			waits++
			break
		}
		if ret, ok := s.(*ast.ReturnStmt); ok && !c.uses(ret, wg) {
			break // nothing after it runs
		}
		switch s := s.(type) {
		case *ast.GoStmt:
			g, w, ok := c.countGo(s, r)
			if !ok {
				return false
			}
			if g != nil {
				gos = append(gos, *g)
				total++
			}
			waits += w
		case *ast.ForStmt, *ast.RangeStmt:
			per := int64(0)
			for _, s := range loopBody(s).List {
				if g, ok := s.(*ast.GoStmt); ok {
					g, w, ok := c.countGo(g, r)
					if !ok || w > 0 {
						return false
					}
					if g != nil {
						gos = append(gos, *g)
						per++
					}
				} else if c.uses(s, wg) || hasBranch(s) {
					return false
				}
			}
			if per > 0 {
				trips, ok := c.tripCount(s)
				if !ok {
					return false
				}
				total += per * trips
			}
		default:
			if c.uses(s, wg) || hasBranch(s) {
				return false
			}
		}
	}
	// Every use of the WaitGroup in the function must be one seen above.
	if c.countUses(fn, wg) != 1+len(gos)+waits {
		return false
	}
	if total == n || total < n && waits == 0 {
		return true
	}
	name := c.recvText(add.X)
	var msg string
	switch {
	case total == 0:
		msg = fmt.Sprintf("%s.Add(%d) but no goroutine calls %s.Done: %s.Wait() blocks forever",
			name, n, name, name)
	case total < n:
		msg = fmt.Sprintf("%s.Add(%d) but only %s call %s.Done: %s.Wait() blocks forever on the %d never matched",
			name, n, plural(int(total), "goroutine"), name, name, n-total)
	default:
		msg = fmt.Sprintf("%s.Add(%d) but %d goroutines call %s.Done: the Done that outruns the Add panics with a negative WaitGroup counter",
			name, n, total, name)
	}
	msg += "; start each with " + name + ".Go(f), which counts it"
	d := analysis.Diagnostic{Pos: add.Pos(), End: add.End(), Message: msg}
	d.SuggestedFixes = c.goFix(add, name, r, gos, true)
	c.report(catWGDrift, d)
	return true
}

// countGo classifies a go statement for checkAddCount: a counted goroutine,
// or one that only waits (w is how many Wait calls it holds), or, with ok
// false, one that does something with the WaitGroup that cannot be counted.
func (c *checker) countGo(g *ast.GoStmt, r ref) (_ *counted, w int, ok bool) {
	lit, isLit := g.Call.Fun.(*ast.FuncLit)
	if !isLit {
		return nil, 0, !c.mentions(g, r)
	}
	var done ast.Stmt
	for i, s := range lit.Body.List {
		if call := stmtCall(s); call == nil || !c.syncCall(call, "WaitGroup", "Done").equal(r) {
			continue
		}
		if done != nil {
			return nil, 0, false
		}
		done = s
		// A return before a deferred Done, or anywhere around a plain
		// one, skips it.
		if _, ok := s.(*ast.DeferStmt); ok && hasReturn(lit.Body.List[:i]) || !ok && hasReturn(lit.Body.List) {
			return nil, 0, false
		}
	}
	uses := c.countRefs(lit, r)
	waits := 0
	ast.Inspect(lit, func(n ast.Node) bool {
		if c.syncCall(n, "WaitGroup", "Wait").equal(r) {
			waits++
		}
		return true
	})
	switch {
	case done != nil && uses == 1:
		return &counted{g, done}, 0, true
	case done == nil && uses == waits:
		return nil, waits, true
	}
	return nil, 0, false
}

// checkAddSkip reports the skip shape: a branch between the Add statement
// list[i] in the function fn and the go statement whose Done answers it.
func checkAddSkip(c *checker, fn ast.Node, list []ast.Stmt, i int, r ref, n int64) {
	add := list[i].(*ast.ExprStmt)
	j := -1
	for k := i + 1; k < len(list); k++ {
		if g, ok := list[k].(*ast.GoStmt); ok && c.doneIn(g, r) {
			j = k
			break
		}
		if c.mentions(list[k], r) {
			return
		}
	}
	if j < 0 {
		return
	}
	local := len(r) == 1 && declaredIn(r.root(), fnBody(fn))
	waitsHere := c.waitsIn(fn, r, false)
	deferredWait := c.waitsIn(fn, r, true)
	for _, s := range list[i+1 : j] {
		b := c.branchOut(s, r)
		if b == nil {
			continue
		}
		if _, isRet := b.(*ast.ReturnStmt); isRet && local && !deferredWait || local && !waitsHere {
			return
		}
		name := c.recvText(add.X)
		d := analysis.Diagnostic{
			Pos: b.Pos(),
			End: b.End(),
			Message: fmt.Sprintf("this %s skips the go statement on line %d after %s.Add(%d) on line %d: its Done never comes, and %s.Wait() blocks forever; start the goroutine with %s.Go(f), which counts it",
				branchWord(b), c.line(list[j].Pos()), name, n, c.line(add.Pos()), name, name),
		}
		if n == 1 {
			g, _, ok := c.countGo(list[j].(*ast.GoStmt), r)
			if ok && g != nil {
				d.SuggestedFixes = c.goFix(add, name, r, []counted{*g}, local)
			}
		}
		c.report(catWGDrift, d)
		return
	}
}

// checkEarlyDone reports the early shape in the function at cur.
//
// Only the body of a goroutine is checked (a go statement's function
// literal, or a function some go statement of the package starts), where a
// Done is owed on every path; elsewhere an early return may be by design,
// as in a Close that calls Done only the first time.
func checkEarlyDone(c *checker, cur inspector.Cursor) {
	fn := cur.Node()
	body := fnBody(fn)
	if body == nil || !c.startedByGo(cur) {
		return
	}
	var refs []ref
	sites := make(map[string][]*siteStmt)
	bad := make(map[string]bool)
	adders := make(map[types.Object]bool)
	ast.PreorderStack(body, nil, func(n ast.Node, stack []ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ExprStmt:
			if r := c.syncCall(n.X, "WaitGroup", "Done"); r != nil {
				k := fmt.Sprint(r)
				if _, seen := sites[k]; !seen {
					refs = append(refs, r)
				}
				sites[k] = append(sites[k], &siteStmt{n, stmtList(stack[len(stack)-1])})
				if slices.ContainsFunc(stack, isLoop) {
					bad[k] = true // a Done per iteration answers an Add per iteration
				}
				return false
			}
		case *ast.CallExpr:
			if r := c.syncCall(n, "WaitGroup", "Add", "Done"); r != nil {
				bad[fmt.Sprint(r)] = true // an Add here, or a deferred Done
			}
			if fn := typeutil.StaticCallee(c.pass.TypesInfo, n); fn != nil {
				for field := range c.releasers(addPairing)[fn] {
					adders[field] = true // an Add in a method this calls
				}
			}
		}
		return true
	})
	for _, r := range refs {
		k := fmt.Sprint(r)
		if bad[k] || len(r) > 1 && adders[r[len(r)-1]] || c.doneInClosure(body, r) {
			continue
		}
		g := c.cfgOf(fn)
		ret := unreleasedReturn(g, nil, c.classifier(r, donePairing), c.constCond)
		// The Done must come after the return: this also skips the
		// synthetic return cfg adds at the body's closing brace.
		if ret == nil || !slices.ContainsFunc(sites[k], func(s *siteStmt) bool { return s.stmt.Pos() > ret.Pos() }) {
			continue
		}
		done := sites[k][len(sites[k])-1].stmt
		name := c.recvText(done.(*ast.ExprStmt).X)
		d := analysis.Diagnostic{
			Pos: ret.Pos(),
			End: ret.End(),
			Message: fmt.Sprintf("this return skips %s.Done() on line %d: the WaitGroup's count never comes down, and %s.Wait() blocks forever; defer %s.Done() at the top of the function",
				name, c.line(done.Pos()), name, name),
		}
		d.SuggestedFixes = c.deferDoneFix(body, "defer "+name+".Done()", sites[k])
		c.report(catWGDrift, d)
	}
}

// doneIn reports whether the function literal g starts calls Done on r.
func (c *checker) doneIn(g *ast.GoStmt, r ref) bool {
	lit, ok := g.Call.Fun.(*ast.FuncLit)
	return ok && c.callsOn(lit.Body, r, "WaitGroup", "Done")
}

// waitsIn reports whether fn calls Wait on r, anywhere, or only in a
// deferred call when deferred is set.
func (c *checker) waitsIn(fn ast.Node, r ref, deferred bool) bool {
	if !deferred {
		return c.callsOn(fn, r, "WaitGroup", "Wait")
	}
	found := false
	ast.Inspect(fn, func(n ast.Node) bool {
		if d, ok := n.(*ast.DeferStmt); ok {
			found = found || c.callsOn(d, r, "WaitGroup", "Wait")
			return false
		}
		return !found
	})
	return found
}

// doneInClosure reports whether body calls Done on r inside a function
// literal, or mentions r.Done without calling it: releases the early
// shape's search cannot follow.
func (c *checker) doneInClosure(body *ast.BlockStmt, r ref) bool {
	found := false
	ast.PreorderStack(body, nil, func(n ast.Node, stack []ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Done" || !c.isSyncMethod(sel, "WaitGroup") || !c.recvRef(sel).equal(r) {
			return !found
		}
		call, isCall := stack[len(stack)-1].(*ast.CallExpr)
		if !isCall || call.Fun != sel || slices.ContainsFunc(stack, func(n ast.Node) bool { _, ok := n.(*ast.FuncLit); return ok }) {
			found = true
		}
		return !found
	})
	return found
}
