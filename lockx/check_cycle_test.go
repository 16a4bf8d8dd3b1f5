//go:build race || lockxcheck

package lockx

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// These tests drive graphs of orders of their own, node by node, and check
// every verdict against a model that follows the docs naively.

// A model is a graph of orders among locks 0 to k-1: for each edge, the
// locks held every time it was followed, and whether exclusively every
// time.
type model map[[2]int]map[int]bool

type modelHeld struct {
	lock int
	mode acquireMode
}

// take records that a goroutine holding held takes n, as checkOrder does,
// and returns whether one of the orders that makes closes a cycle that
// deadlocks says so (leaving that order out, and the ones before it in).
func (m model) take(held []modelHeld, n int, deadlocks func(model) bool) bool {
	for i, h := range held {
		now := make(map[int]bool)
		for j, o := range held {
			if j != i {
				now[o.lock] = o.mode != shared
			}
		}
		key := [2]int{h.lock, n}
		old, seen := m[key]
		if seen {
			kept := make(map[int]bool)
			for g, ex := range old {
				if exNow, ok := now[g]; ok {
					kept[g] = ex && exNow
				}
			}
			if maps.Equal(kept, old) {
				continue
			}
			now = kept
		}
		m[key] = now
		if deadlocks(m) {
			if seen {
				m[key] = old
			} else {
				delete(m, key)
			}
			return true
		}
	}
	return false
}

// forget takes lock i out of m, to be replaced by a new lock i. An edge
// that was followed holding the old one keeps it as a guard, as the graph
// does, under the name gone, which no lock has.
func (m model) forget(i, gone int) {
	maps.DeleteFunc(m, func(k [2]int, _ map[int]bool) bool { return k[0] == i || k[1] == i })
	for _, e := range m {
		if ex, ok := e[i]; ok {
			delete(e, i)
			e[gone] = ex
		}
	}
}

func excludes(a, b map[int]bool) bool {
	for g, ex := range a {
		if exB, ok := b[g]; ok && (ex || exB) {
			return true
		}
	}
	return false
}

// simpleCycleDeadlocks tries every simple cycle of m among k locks, and
// returns whether one has no two edges that exclude each other.
func simpleCycleDeadlocks(k int) func(model) bool {
	return func(m model) bool {
		onPath := make([]bool, k)
		var edges []map[int]bool
		var extend func(start, n int) bool
		extend = func(start, n int) bool {
			for next := start; next < k; next++ { // start is the cycle's lowest
				e, ok := m[[2]int{n, next}]
				if !ok || slices.ContainsFunc(edges, func(o map[int]bool) bool { return excludes(o, e) }) {
					continue
				}
				if next == start {
					return true
				}
				if onPath[next] {
					continue
				}
				onPath[next] = true
				edges = append(edges, e)
				if extend(start, next) {
					return true
				}
				edges = edges[:len(edges)-1]
				onPath[next] = false
			}
			return false
		}
		for s := range k {
			onPath[s] = true
			if extend(s, s) {
				return true
			}
			onPath[s] = false
		}
		return false
	}
}

// runModel plays steps random steps on a graph and a model of k locks,
// each a nesting that nest chooses, or now and then the loss of one of the
// first mortal locks, and fails t at the first verdict on which they
// differ. The graph's moveLimit is one of three, by seed, so that every
// way to reorder runs.
func runModel(t *testing.T, seed, k, mortal, steps int, nest func(r *rand.Rand) []modelHeld, deadlocks func(model) bool) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(seed), uint64(k)))
	gr := orderGraph{moveLimit: []int{0, 2, moveLimit}[seed%3]}
	nodes := make([]*lockNode, k)
	for i := range nodes {
		nodes[i] = &lockNode{kind: fmt.Sprint("L", i)}
	}
	m := model{}
	var log []string
	for range steps {
		if r.IntN(20) == 0 {
			i := r.IntN(mortal)
			gr.forget(nodes[i])
			nodes[i] = &lockNode{kind: fmt.Sprint("L", i)}
			m.forget(i, -len(log)-1)
			log = append(log, fmt.Sprintf("forget L%d", i))
			continue
		}
		levels := nest(r)
		log = append(log, fmt.Sprint(levels))
		g := &goroutine{id: 1}
		var held []modelHeld
		for _, l := range levels {
			if len(held) > 0 && l.mode != tried {
				report := gr.check(g, nodes[l.lock], "Mutex.Do", &site{})
				if want := m.take(held, l.lock, deadlocks); (report != "") != want {
					t.Fatalf("taking L%d holding %v: report %q, want one: %v; steps:\n%s",
						l.lock, held, report, want, strings.Join(log, "\n"))
				}
				if report != "" {
					break
				}
			}
			g.held = append(g.held, heldLock{n: nodes[l.lock], method: "Mutex.Do", mode: l.mode})
			held = append(held, l)
		}
		checkOrdered(t, nodes)
		if t.Failed() {
			t.Fatalf("after steps:\n%s", strings.Join(log, "\n"))
		}
	}
}

// checkOrdered fails t unless nodes are in topological order: each edge
// goes up, or stays in a group; a group's nodes share an ord that no other
// node with edges has.
func checkOrdered(t *testing.T, nodes []*lockNode) {
	t.Helper()
	owner := make(map[int64]any)
	for _, x := range nodes {
		if x.isolated() {
			continue
		}
		var id any = x
		if x.group != nil {
			id = x.group
			if x.index >= len(x.group.nodes) || x.group.nodes[x.index] != x || len(x.group.nodes) < 2 {
				t.Errorf("%s: group %v", x.kind, x.group.nodes)
			}
		}
		if o, ok := owner[x.ord]; ok && o != id {
			t.Errorf("%s: ord %d shared outside its group", x.kind, x.ord)
		}
		owner[x.ord] = id
		for y := range x.out {
			if x.ord > y.ord || x.ord == y.ord && (x.group == nil || x.group != y.group) {
				t.Errorf("edge %s→%s goes from ord %d to %d", x.kind, y.kind, x.ord, y.ord)
			}
		}
	}
}

// TestCheckCyclesModel: random nestings, up to four deep, of up to seven
// locks, each taken exclusively, shared or by a TryDo, are reported
// exactly when the order they add closes a simple cycle no two edges of
// which exclude each other; locks are forgotten now and then; the order
// stays topological throughout.
func TestCheckCyclesModel(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 50
	}
	for seed := range seeds {
		k := 3 + seed%5
		runModel(t, seed, k, k, 80, func(r *rand.Rand) []modelHeld {
			var levels []modelHeld
			for _, l := range r.Perm(k)[:2+r.IntN(min(3, k-1))] {
				levels = append(levels, modelHeld{l, acquireMode(r.IntN(3))})
			}
			return levels
		}, simpleCycleDeadlocks(k))
	}
}

// TestCheckCyclesModelLarge: pairs of 40 locks, mostly in one order, alone
// or under one long-lived world lock held shared, or held exclusively and
// against the order; over 1,500 steps that move parts of the
// order, and join and forget groups. With one gate the rule is
// simple: a cycle deadlocks unless it has two edges held under the world
// lock exclusively, or one exclusively and one shared.
func TestCheckCyclesModelLarge(t *testing.T) {
	const k = 40
	world := k
	seeds := 3
	if testing.Short() {
		seeds = 1
	}
	deadlocks := func(m model) bool {
		type state struct {
			n      int
			ex, sh bool // the cycle so far has a world-exclusive edge, a world-shared one
		}
		next := func(s state, e map[int]bool) (state, bool) {
			ex, gated := e[world]
			switch {
			case !gated:
			case s.ex || ex && s.sh:
				return s, false
			case ex:
				s.ex = true
			default:
				s.sh = true
			}
			return s, true
		}
		out := make([][]int, k)
		for key := range m {
			if key[0] < k { // the world lock, always outermost, is on no cycle
				out[key[0]] = append(out[key[0]], key[1])
			}
		}
		for start := range k {
			seen := map[state]bool{}
			queue := []state{{n: start}}
			for len(queue) > 0 {
				s := queue[0]
				queue = queue[1:]
				for _, to := range out[s.n] {
					t, ok := next(s, m[[2]int{s.n, to}])
					if !ok {
						continue
					}
					if t.n = to; t.n == start {
						return true
					}
					if !seen[t] {
						seen[t] = true
						queue = append(queue, t)
					}
				}
			}
		}
		return false
	}
	for seed := range seeds {
		order := rand.New(rand.NewPCG(uint64(seed), 0)).Perm(k) // mostly followed, so that the graph is mostly ordered
		runModel(t, seed, k+1, k, 1500, func(r *rand.Rand) []modelHeld {
			pair := r.Perm(k)[:2]
			if order[pair[0]] > order[pair[1]] && r.IntN(20) != 0 {
				pair[0], pair[1] = pair[1], pair[0]
			}
			levels := []modelHeld{{pair[0], exclusive}, {pair[1], exclusive}}
			switch r.IntN(12) {
			case 0:
				return append([]modelHeld{{world, exclusive}}, levels[1], levels[0])
			case 1:
				return append([]modelHeld{{world, shared}}, levels...)
			}
			return levels
		}, deadlocks)
	}
}
