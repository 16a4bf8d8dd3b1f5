//go:build race || lockxcheck

package lockx

import (
	"cmp"
	"maps"
	"math"
	"slices"
)

// Which cycles can deadlock. Goroutines deadlock along a cycle of orders
// A1 → A2 → ... → Ak → A1 when, at one moment, goroutine i holds Ai and
// waits for Ai+1 for each i: each is in the middle of following one edge
// of the cycle, holding what it held every time that edge was seen. Two
// edges exclude each other when both were followed holding a common lock
// G, at least one of them exclusively every time: a writer excludes
// writers and readers, but two readers do not exclude each other. Then no
// two goroutines are in the middle of both at once, and the cycle cannot
// close. So a cycle is reported only if no two of its edges exclude each
// other. One pair is enough to make it safe: the gate need not be held on
// every edge, nor in the same mode on each.
//
// The rule is exact for what an edge remembers: up to maxGuards locks, and
// whether each was held exclusively every time. Two edges whose every
// meeting conflicts on some lock, but not always on the same one, count as
// not excluding each other; so does a lock beyond what an edge remembers,
// or beyond the maxGates a search tells apart. Each can only report more.
//
// The graph never holds a cycle that can deadlock: an order that would
// close one is reported, and left out. So a new edge h→n, or an edge seen
// again with fewer or weaker guards, needs a search for a way from n back
// to h that, with the edge, makes a cycle with no pair that excludes each
// other. findPath searches walks, not only simple paths: a closed walk with
// no excluding pair contains a simple cycle, a subset of its edges, with
// none, so neither misses nor invents a cycle that can deadlock.
//
// The order. Without cycles, a topological order of the graph (every edge
// going from a lower ord to a higher one) shows at once that an edge which
// agrees with it closes no cycle. Pearce and Kelly's algorithm ("A dynamic
// topological sort algorithm for directed acyclic graphs", 2006; Abseil's
// GraphCycles uses it) keeps such an order as edges come: only an edge
// against the order needs a search, of the locks ordered between its two
// ends, and then moves those that must move. Safe cycles have no
// topological order, so the order is of groups: nodes joined by safe
// cycles share one ord, edges between groups go up, and edges within a
// group go any way, so that a path between two nodes of a group stays
// inside it. A forgotten node leaves its group's ord as it was: what is
// left may no longer form a cycle, but is still ordered consistently.
//
// A node with no edges can take any ord, so a lock nested for the first
// time goes to the end of the order that agrees with its first edge: the
// top if it is taken inside another, the bottom if taken around another.
// Locks made for a short while and nested with long-lived ones then cost
// no search, however much the long-lived ones reach. More generally, a
// lock that few locks lead to can move to the bottom with them, and one
// that leads to few can move to the top with them, whatever lies between:
// so a lock first taken inside a short-lived one, and then around a
// long-lived one, costs a search of those few (up to moveLimit groups)
// rather than of the locks ordered between.

// A nodeGroup is a set of nodes that share an ord.
type nodeGroup struct{ nodes []*lockNode }

// maxGates is how many locks a search tells apart as gates.
const maxGates = 32

// moveLimit is how many groups an edge against the order may move to an
// end of the order, before it searches between its ends instead.
const moveLimit = 32

// place makes room in the order for an edge from h to n with guards, and
// returns a path from n back to h that makes with it a cycle that can
// deadlock, or nil. When it returns a path it leaves the order as it was.
// The graph must be locked.
func (gr *orderGraph) place(h, n *lockNode, guards []guard) []step {
	if n.isolated() {
		gr.high++
		n.ord = gr.high
	}
	if h.isolated() {
		gr.low--
		h.ord = gr.low
	}
	switch {
	case h.ord < n.ord:
		return nil // no path from n leads back down to h
	case h.ord == n.ord:
		return gr.findPath(n, h, guards)
	}
	if gr.moveLimit > 0 {
		up := gr.reach(h, math.MinInt64, math.MaxInt64, false, gr.moveLimit)
		if up != nil && !slices.ContainsFunc(up, n.sameGroup) {
			gr.toEnd(up, false)
			return nil
		}
		down := gr.reach(n, math.MinInt64, math.MaxInt64, true, gr.moveLimit)
		if down != nil && !slices.ContainsFunc(down, h.sameGroup) {
			gr.toEnd(down, true)
			return nil
		}
	}
	fwd := gr.reach(n, n.ord, h.ord, true, 0)
	if slices.ContainsFunc(fwd, h.sameGroup) {
		if path := gr.findPath(n, h, guards); path != nil {
			return path
		}
	}
	reorder(fwd, gr.reach(h, n.ord, h.ord, false, 0))
	return nil
}

func (n *lockNode) sameGroup(x *lockNode) bool { return x.ord == n.ord }

func (n *lockNode) isolated() bool {
	return len(n.out) == 0 && len(n.in) == 0 && n.group == nil
}

// members returns the nodes of n's group.
func (n *lockNode) members() []*lockNode {
	if n.group != nil {
		return n.group.nodes
	}
	return []*lockNode{n}
}

// reach returns a node of each group that n's group reaches along edges
// (or against them, if not forward) through groups whose ords lie in
// [lo, hi], n first; or nil if there are more than limit, unless limit is
// 0.
func (gr *orderGraph) reach(n *lockNode, lo, hi int64, forward bool, limit int) []*lockNode {
	seen := map[int64]bool{n.ord: true}
	groups := []*lockNode{n}
	for i := 0; i < len(groups); i++ {
		if limit > 0 && len(groups) > limit {
			return nil
		}
		for _, m := range groups[i].members() {
			gr.searched++
			next := maps.Keys(m.out)
			if !forward {
				next = maps.Keys(m.in)
			}
			for x := range next {
				if lo <= x.ord && x.ord <= hi && !seen[x.ord] {
					seen[x.ord] = true
					groups = append(groups, x)
				}
			}
		}
	}
	return groups
}

// reorder gives the groups of back, which reach the new edge's start, the
// lowest of the ords of back and fwd, and those of fwd, reached from its
// end, the highest, keeping the order within each. Groups in both lie on
// a cycle through the new edge, and join into one between the two.
//
// No group outside fwd and back need move (Pearce and Kelly's argument):
// the groups of back only move down and those of fwd only up, a group
// that an edge of a fwd group leads to is in fwd or above the range, and
// one that leads to a back group is in back or below it.
func reorder(fwd, back []*lockNode) {
	inFwd := make(map[int64]bool, len(fwd))
	pool := make([]int64, 0, len(fwd)+len(back))
	for _, x := range fwd {
		inFwd[x.ord] = true
		pool = append(pool, x.ord)
	}
	inBack := make(map[int64]bool, len(back))
	var before, both []*lockNode
	for _, x := range back {
		inBack[x.ord] = true
		if inFwd[x.ord] {
			both = append(both, x)
		} else {
			before = append(before, x)
			pool = append(pool, x.ord)
		}
	}
	after := slices.DeleteFunc(fwd, func(x *lockNode) bool { return inBack[x.ord] })
	byOrd := func(a, b *lockNode) int { return cmp.Compare(a.ord, b.ord) }
	slices.SortFunc(before, byOrd)
	slices.SortFunc(after, byOrd)
	slices.Sort(pool)
	for i, x := range before {
		x.setOrd(pool[i])
	}
	for i, x := range after {
		x.setOrd(pool[len(pool)-len(after)+i])
	}
	if len(both) > 0 {
		join(both).setOrd(pool[len(before)])
	}
}

// join joins the groups of nodes into the largest of them, and returns a
// node of it.
func join(nodes []*lockNode) *lockNode {
	big := slices.MaxFunc(nodes, func(a, b *lockNode) int { return cmp.Compare(len(a.members()), len(b.members())) })
	g := big.group
	if g == nil {
		g = &nodeGroup{nodes: []*lockNode{big}}
		big.group = g
	}
	for _, x := range nodes {
		if x.group == g {
			continue
		}
		for _, m := range x.members() {
			m.group, m.index = g, len(g.nodes)
			g.nodes = append(g.nodes, m)
		}
	}
	return big
}

// toEnd moves groups, which hold every group that leads to them (or that
// they lead to, if top), below every other (or above, if top), keeping
// their order.
func (gr *orderGraph) toEnd(groups []*lockNode, top bool) {
	slices.SortFunc(groups, func(a, b *lockNode) int { return cmp.Compare(a.ord, b.ord) })
	first := gr.high + 1
	if top {
		gr.high += int64(len(groups))
	} else {
		gr.low -= int64(len(groups))
		first = gr.low
	}
	for i, x := range groups {
		x.setOrd(first + int64(i))
	}
}

// setOrd moves n's group to ord.
func (n *lockNode) setOrd(ord int64) {
	for _, m := range n.members() {
		m.ord = ord
	}
}

// leaveGroup takes n out of its group, if it has one.
func (n *lockNode) leaveGroup() {
	g := n.group
	if g == nil {
		return
	}
	n.group = nil
	last := g.nodes[len(g.nodes)-1]
	g.nodes[n.index], last.index = last, n.index
	g.nodes[len(g.nodes)-1] = nil
	g.nodes = g.nodes[:len(g.nodes)-1]
	if len(g.nodes) == 1 {
		g.nodes[0].group = nil
		g.nodes = nil
	}
}

// findPath returns a path of edges from from to to which, with an edge from
// to to from kept under guards, makes a cycle no two edges of which exclude
// each other; or nil if there is none. It looks only at nodes ordered no
// higher than to, where any path to to lies.
//
// A search state is a node and two sets of gates (bit masks), those held
// on the edges so far and those held exclusively: an edge may follow if it
// holds exclusively none of the first and holds none of the second. A
// state is skipped when its node was reached before with subsets of both,
// from which every continuation was possible too.
func (gr *orderGraph) findPath(from, to *lockNode, guards []guard) []step {
	var gates []*lockNode // bit i stands for gates[i]
	masks := func(guards []guard) (held, excl uint32) {
		for _, gd := range guards {
			i := slices.Index(gates, gd.n)
			if i < 0 {
				if len(gates) == maxGates {
					continue // held by no edge, for this search: may only report more
				}
				i = len(gates)
				gates = append(gates, gd.n)
			}
			held |= 1 << i
			if gd.ex {
				excl |= 1 << i
			}
		}
		return held, excl
	}
	type state struct{ held, excl uint32 }
	seen := make(map[*lockNode][]state)
	var path []step
	var visit func(n *lockNode, s state) bool
	visit = func(n *lockNode, s state) bool {
		if n == to {
			return true
		}
		for _, t := range seen[n] {
			if t.held&^s.held == 0 && t.excl&^s.excl == 0 {
				return false
			}
		}
		seen[n] = append(seen[n], s)
		gr.searched++
		for next, e := range n.out {
			if next.ord > to.ord {
				continue
			}
			held, excl := masks(e.guards)
			if held&s.excl != 0 || excl&s.held != 0 {
				continue // e excludes an edge of the cycle so far
			}
			path = append(path, step{n, next, e})
			if visit(next, state{s.held | held, s.excl | excl}) {
				return true
			}
			path = path[:len(path)-1]
		}
		return false
	}
	held, excl := masks(guards)
	if visit(from, state{held, excl}) {
		return path
	}
	return nil
}
