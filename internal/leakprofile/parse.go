package leakprofile

import (
	"bytes"
	"strconv"
	"strings"
)

// Goroutine is one goroutine of a stack dump.
type Goroutine struct {
	// ID is the goroutine's id, as stack traces print it.
	ID uint64
	// State is the wait state, as the runtime names it ("chan send",
	// "sync.Mutex.Lock", "select", "running"), without what it appends:
	// "(leaked)", the minutes waited, "locked to thread", the synctest
	// bubble, labels.
	State string
	// Leaked is whether the runtime's leak detection proved the goroutine
	// leaked: blocked on something no runnable goroutine can reach.
	Leaked bool
	// Creator is the id of the goroutine that started this one, 0 if the
	// dump does not say (the main goroutine, runtime goroutines).
	Creator uint64
	// Stack is the goroutine's frames as the runtime prints them, the
	// "goroutine N [state]:" header excluded, ending in a newline.
	Stack string
}

// Parse reads a dump in the format of runtime.Stack(buf, true): blocks that
// start with a "goroutine N [state]:" line, separated by blank lines. What
// it cannot read as such a block it skips.
func Parse(dump []byte) []Goroutine {
	var all []Goroutine
	for block := range bytes.SplitSeq(dump, []byte("\n\n")) {
		header, stack, _ := bytes.Cut(bytes.TrimLeft(block, "\n"), []byte("\n"))
		g, ok := parseHeader(string(header))
		if !ok {
			continue
		}
		if body := bytes.TrimRight(stack, "\n"); len(body) < len(stack) {
			g.Stack = string(stack[:len(body)+1]) // one copy, with its newline
		} else {
			g.Stack = string(body) + "\n"
		}
		g.Creator = creator(g.Stack)
		all = append(all, g)
	}
	return all
}

// parseHeader reads "goroutine 8 [chan send (leaked), 2 minutes]:". At
// GOTRACEBACK=system and above the id is followed by "gp=... m=...". With
// GODEBUG=tracebacklabels=1 (the default from Go 1.27 for a main module
// that says go 1.27) a goroutine's pprof labels follow: inside the brackets
// up to Go 1.26, '[select labels:{"k": "v"}]:', after them from Go 1.27,
// '[select] {k: v}:'. A label value may hold "]:" or ", ".
func parseHeader(line string) (g Goroutine, ok bool) {
	rest, ok := strings.CutPrefix(line, "goroutine ")
	if !ok || !strings.HasSuffix(line, ":") {
		return g, false
	}
	id, rest, _ := strings.Cut(rest, " ")
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return g, false
	}
	_, state, ok := strings.Cut(rest, "[")
	if !ok || !strings.Contains(state, "]") {
		return g, false
	}
	// The wait reason ends at the first "]", ", " or " labels:{", which no
	// wait reason contains: everything the runtime appends to it but
	// " (leaked)", " (scan)" and " (durable)" starts with ", ", labels
	// with " labels:{" or follow the "]".
	for _, end := range []string{"]", ", ", " labels:{"} {
		state, _, _ = strings.Cut(state, end)
	}
	state = strings.ReplaceAll(state, " (scan)", "") // after "(leaked)", before "(durable)"
	state, leaked := strings.CutSuffix(state, " (leaked)")
	return Goroutine{ID: n, State: state, Leaked: leaked}, true
}

// creator reads the id from the "created by f in goroutine N" line.
func creator(stack string) uint64 {
	const by, in = "created by ", " in goroutine "
	rest, ok := strings.CutPrefix(stack, by)
	if !ok {
		i := strings.Index(stack, "\n"+by)
		if i < 0 {
			return 0
		}
		rest = stack[i+1+len(by):]
	}
	line, _, _ := strings.Cut(rest, "\n")
	_, id, ok := strings.Cut(line, in)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}
