package leaktest

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/goleak"

	"github.com/leakproof/leakproof/internal/leakprofile"
)

// leaks is what one check found, and builds its report.
type leaks struct {
	found    []leakprofile.Goroutine // proven leaked by the runtime, or alive for goleak
	raw      string                  // goleak's error, when none of its goroutines could be read from it
	untraced map[uint64]bool         // Check's goroutines that cannot be traced to its test
}

// newLeaks keeps those of gs that the runtime proved leaked or that
// goleak's err names alive; err's text stands in for them when it names
// none that can be read.
func newLeaks(gs []leakprofile.Goroutine, err error) leaks {
	ids := goleakIDs(err)
	var l leaks
	for _, g := range gs {
		if g.Leaked || ids[g.ID] {
			l.found = append(l.found, g)
		}
	}
	if err != nil && len(ids) == 0 {
		l.raw = err.Error()
	}
	return l
}

// report returns the text that fails the check, "" if it found nothing.
// what ends the first line: "outlived the tests".
func (l *leaks) report(what string) string {
	if len(l.found) == 0 && l.raw == "" {
		return ""
	}
	slices.SortFunc(l.found, func(a, b leakprofile.Goroutine) int { return cmp.Compare(a.ID, b.ID) })
	var b strings.Builder
	noun := "goroutines"
	if len(l.found) == 1 {
		noun = "goroutine"
	}
	fmt.Fprintf(&b, "leaktest: %d %s %s:\n", len(l.found), noun, what)
	for _, g := range l.found {
		fmt.Fprintf(&b, "\n%s\n\tseen by: %s\n", newLeak(g), seenBy(g))
		if l.untraced[g.ID] {
			b.WriteString("\tstarted by: a goroutine that has exited, or a timer (time.AfterFunc), so leaktest cannot trace it: it counts as this test's, though a test running in parallel may have started it\n")
		}
		for line := range strings.Lines(g.Stack) {
			b.WriteString("\t\t" + line)
		}
	}
	if l.raw != "" {
		fmt.Fprintf(&b, "\ngoleak, in a form leaktest could not read: %s\n", l.raw)
	}
	return b.String()
}

// seenBy says which oracle saw g, and so how sure the report is.
func seenBy(g leakprofile.Goroutine) string {
	switch {
	case g.Leaked:
		return "the runtime's goroutineleak profile: it waits on something no running goroutine can reach, so it can never run again"
	case leakprofile.Available():
		return "goleak: still alive; the runtime cannot prove it stuck, as something live can still reach what it waits on"
	default:
		return "goleak: still alive (this binary has no goroutineleak profile to say whether it can ever run again)"
	}
}

// goleakIDs returns the ids of the goroutines goleak's error lists. goleak
// writes each as "Goroutine 8 in state chan send, with f on top of the
// stack:"; its format is not an API, so a report that cannot read any id
// quotes goleak's error instead.
func goleakIDs(err error) map[uint64]bool {
	ids := map[uint64]bool{}
	if err == nil {
		return ids
	}
	for _, m := range goleakGoroutine.FindAllStringSubmatch(err.Error(), -1) {
		if id, err := strconv.ParseUint(m[1], 10, 64); err == nil {
			ids[id] = true
		}
	}
	return ids
}

var goleakGoroutine = regexp.MustCompile(`Goroutine (\d+) in state `)

// goleakFind runs goleak's check with opts. A goleak.Cleanup among opts is
// for VerifyTestMain's exit and would make goleak.Find refuse to run: the
// last option wins, so a Cleanup(nil) after them sets it aside here.
func goleakFind(opts []goleak.Option, more ...goleak.Option) error {
	all := append(append(more, opts...), goleak.Cleanup(nil))
	return goleak.Find(all...)
}
