//go:build race || lockxcheck

package lockx

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// The lock-order graph has an edge from A to B once some goroutine has
// taken B while holding A. Taking B while holding A is an inversion when
// the graph already has a path from B back to A: goroutines following both
// orders at once each hold what the next one waits for. Checking when an
// edge is first added reports the inversion the first time the orders
// disagree, long before the unlucky timing that turns it into a hang; this
// is how Linux's lockdep, Abseil's deadlock detection and go-deadlock
// work. Their users' complaints shape the choices here:
//
//   - Memory that only grows. go-deadlock keyed its graph by the locks
//     themselves, which kept every lock, and whatever embeds it, alive
//     forever. Here a lock points to its node, never the other way, and a
//     cleanup (runtime.AddCleanup) takes the node and its edges out of the
//     graph once the lock is garbage. The graph is as big as the set of
//     live locks that have been nested, and the maps that held a collected
//     lock's edges shrink back when they empty.
//   - Reports about different locks. lockdep groups locks into classes by
//     where they were initialized, so two instances of one class nested in
//     a fixed order look like a lock inverted with itself and need
//     annotations. Nodes here are single locks, which costs generality (an
//     inversion between two instances is found only with those instances)
//     but reports nothing that is not an order of those two locks.
//   - Gate locks. A "world" lock that ordinary operations hold for reading
//     and a rebuild holds for writing, around inner locks taken in either
//     order, makes a cycle in the graph that cannot deadlock. The rule,
//     and why it holds, is in check_cycle.go: a cycle is reported only if
//     no two of its edges exclude each other. Each edge keeps the locks
//     held every time it was seen, and whether each was held exclusively
//     every time (at most maxGuards of them; fewer only reports more).
//   - Time that grows with the graph. Searching the graph for a way back
//     on every new order costs, for a lock that takes many others, as much
//     as all it reaches, each time a new lock is taken around it. The
//     graph keeps a topological order (check_cycle.go), so that an order
//     that agrees with it needs no search, and one that does not searches
//     only the locks ordered between its two ends.
//   - Shared acquisitions count in full: lockx's RWMutex queues readers
//     behind a waiting writer, so a read can wait as long as a write. A
//     TryDo that succeeds waits for nothing and adds no edge to its lock,
//     though the locks taken inside it get edges from it.

// A lockNode is one lock in the graph. Its fields but kind are guarded by
// graph.
type lockNode struct {
	kind string                   // the lock's type, for reports
	out  map[*lockNode]*orderEdge // locks taken while holding this one
	in   map[*lockNode]struct{}   // locks held while this one was taken
	// peakOut and peakIn are the largest sizes the maps reached since they
	// were made: Go maps do not shrink, so forget remakes one that has
	// mostly emptied.
	peakOut, peakIn int
	// ord is the node's place in the graph's topological order, shared by
	// the nodes of a group, which safe cycles join (check_cycle.go).
	ord   int64
	group *nodeGroup
	index int // in group.nodes
}

// An orderEdge records the first time its order was seen, for reports,
// and the locks held every time.
type orderEdge struct {
	goid               uint64
	fromMethod, method string
	fromAt, at         site
	guards             []guard
}

// A guard is a lock held every time an order was followed, besides the
// two it orders.
type guard struct {
	n  *lockNode
	ex bool // held exclusively every time
}

const maxGuards = 4

type orderGraph struct {
	sync.RWMutex
	edges     int
	nodes     atomic.Int64
	low, high int64 // the ends of the topological order (check_cycle.go)
	moveLimit int   // at most how many groups to move to an end of it
	searched  int   // nodes that searches looked at, for tests
}

var graph = orderGraph{moveLimit: moveLimit}

// nodeFor returns c's node, making it on first use.
func (c *lockCheck) nodeFor(method string) *lockNode {
	if n := c.node.Load(); n != nil {
		return n
	}
	n := &lockNode{kind: kindOf(method)}
	if !c.node.CompareAndSwap(nil, n) {
		return c.node.Load()
	}
	graph.nodes.Add(1)
	// c points into the lock, and n does not point back, so the lock can
	// be collected; then n is forgotten.
	runtime.AddCleanup(c, forget, n)
	return n
}

// forget takes n, whose lock is garbage, out of the graph.
func forget(n *lockNode) { graph.forget(n) }

func (gr *orderGraph) forget(n *lockNode) {
	gr.Lock()
	defer gr.Unlock()
	for to := range n.out {
		delete(to.in, n)
		if len(to.in) < to.peakIn/4 {
			to.in, to.peakIn = remake(to.in)
		}
	}
	for from := range n.in {
		delete(from.out, n)
		if len(from.out) < from.peakOut/4 {
			from.out, from.peakOut = remake(from.out)
		}
	}
	gr.edges -= len(n.out) + len(n.in)
	n.out, n.in = nil, nil
	n.leaveGroup()
	gr.nodes.Add(-1)
}

func remake[V any](m map[*lockNode]V) (map[*lockNode]V, int) {
	if len(m) == 0 {
		return nil, 0
	}
	r := make(map[*lockNode]V, len(m))
	for k, v := range m {
		r[k] = v
	}
	return r, len(r)
}

// checkOrder records that g, holding g.held, takes c's lock, and panics if
// that inverts an order already seen.
func checkOrder(g *goroutine, c *lockCheck, method string, at *site) {
	n := c.nodeFor(method)
	for i := range g.held {
		if h := &g.held[i]; h.n == nil {
			h.n = h.c.nodeFor(h.method)
		}
	}
	if report := graph.check(g, n, method, at); report != "" {
		panic(report)
	}
}

// check records the orders that g's taking n makes, and returns a report
// if one of them closes a cycle that can deadlock.
func (gr *orderGraph) check(g *goroutine, n *lockNode, method string, at *site) string {
	gr.RLock()
	known := gr.known(g, n)
	gr.RUnlock()
	if known {
		return ""
	}
	gr.Lock()
	defer gr.Unlock()
	return gr.add(g, n, method, at)
}

// known reports whether every order that g's taking n makes has been seen
// before, with guards that g holds now, as firmly: the common case, which
// needs only the read lock.
func (*orderGraph) known(g *goroutine, n *lockNode) bool {
	for i := range g.held {
		e := g.held[i].n.out[n]
		if e == nil {
			return false
		}
		for _, gd := range e.guards {
			j := g.holding(gd.n)
			if j < 0 || j == i || gd.ex && g.held[j].mode == shared {
				return false
			}
		}
	}
	return true
}

// holding returns the index in g.held of n's lock, or -1.
func (g *goroutine) holding(n *lockNode) int {
	for j := range g.held {
		if g.held[j].n == n {
			return j
		}
	}
	return -1
}

// add adds the orders that g's taking n makes, and returns a report of the
// first that closes a cycle, which it leaves out. The graph must be locked.
func (gr *orderGraph) add(g *goroutine, n *lockNode, method string, at *site) string {
	for i := range g.held {
		h := &g.held[i]
		e := h.n.out[n]
		var guards []guard
		if e == nil {
			guards = g.guards(i)
		} else {
			var narrowed bool
			if guards, narrowed = g.narrow(e.guards, i); !narrowed {
				continue
			}
		}
		if path := gr.place(h.n, n, guards); path != nil {
			return inversion(g, h, method, at, n, path)
		}
		if e != nil {
			e.guards = guards
			continue
		}
		if h.n.out == nil {
			h.n.out = make(map[*lockNode]*orderEdge)
		}
		if n.in == nil {
			n.in = make(map[*lockNode]struct{})
		}
		h.n.out[n] = &orderEdge{goid: g.id, fromMethod: h.method, method: method, fromAt: h.at, at: *at, guards: guards}
		n.in[h.n] = struct{}{}
		h.n.peakOut = max(h.n.peakOut, len(h.n.out))
		n.peakIn = max(n.peakIn, len(n.in))
		gr.edges++
	}
	return ""
}

// guards returns the locks other than g.held[i] that g holds, outermost
// first.
func (g *goroutine) guards(i int) []guard {
	var guards []guard
	for j := range g.held {
		if j != i && len(guards) < maxGuards {
			guards = append(guards, guard{g.held[j].n, g.held[j].mode != shared})
		}
	}
	return guards
}

// narrow returns the guards of an order seen before with old, now seen
// again with g holding g.held, the first of them g.held[i]: those g still
// holds, exclusive if held exclusively both times; and whether that is
// fewer, or fewer exclusive, than old.
func (g *goroutine) narrow(old []guard, i int) ([]guard, bool) {
	var kept []guard
	narrowed := false
	for _, o := range old {
		if j := g.holding(o.n); j >= 0 && j != i {
			ex := g.held[j].mode != shared
			kept = append(kept, guard{o.n, o.ex && ex})
			narrowed = narrowed || o.ex && !ex
		}
	}
	return kept, narrowed || len(kept) < len(old)
}

// A step is an edge of a path through the graph.
type step struct {
	from, to *lockNode
	e        *orderEdge
}

// inversion reports that g, holding h, takes n, which path leads back to h.
func inversion(g *goroutine, h *heldLock, method string, at *site, n *lockNode, path []step) string {
	names := map[*lockNode]string{h.n: "A", n: "B"}
	name := func(x *lockNode) string {
		if names[x] == "" {
			names[x] = string(rune('A' + len(names)))
		}
		return names[x]
	}
	var chain []string
	for i, s := range path {
		if i == 0 {
			chain = append(chain, fmt.Sprintf("%s was held while %s was taken", name(s.from), name(s.to)))
		} else {
			chain = append(chain, fmt.Sprintf("%s while %s was", name(s.from), name(s.to)))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "lockx: %s: lock order inversion: goroutine %d takes B while holding A, but earlier %s; goroutines taking them in these orders at the same time deadlock\n",
		method, g.id, strings.Join(chain, ", and "))
	fmt.Fprintf(&b, "\tgoroutine %d took A (%s) with %s at %s\n", g.id, h.n.kind, h.method, h.at.String())
	fmt.Fprintf(&b, "\t\tand now takes B (%s) with %s at %s\n", n.kind, method, at.String())
	for _, s := range path {
		fmt.Fprintf(&b, "\tgoroutine %d took %s", s.e.goid, name(s.from))
		if s.from != h.n && s.from != n {
			fmt.Fprintf(&b, " (%s)", s.from.kind)
		}
		fmt.Fprintf(&b, " with %s at %s\n", s.e.fromMethod, s.e.fromAt.String())
		fmt.Fprintf(&b, "\t\tand then %s with %s at %s\n", name(s.to), s.e.method, s.e.at.String())
	}
	b.WriteString("Take these locks in one order everywhere.")
	return b.String()
}
