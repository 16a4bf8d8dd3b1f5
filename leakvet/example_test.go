package leakvet_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/leakproof/leakproof/leakvet"
)

// pitfalls is a file with four of the leaks leakvet reports.
const pitfalls = `package pitfalls

import "sync"

func nilSend() {
	var results chan int // never made
	go func() { results <- 1 }()
}

func firstAnswer(mirrors []string) string {
	answers := make(chan string)
	for _, m := range mirrors {
		go func() { answers <- m }()
	}
	return <-answers
}

func add(mu *sync.Mutex, total *int, n int) bool {
	mu.Lock()
	if n < 0 {
		return false
	}
	*total += n
	mu.Unlock()
	return true
}

func startFive() {
	var wg sync.WaitGroup
	wg.Add(5)
	for range 3 {
		go func() { defer wg.Done() }()
	}
	wg.Wait()
}
`

// The command github.com/leakproof/leakproof/cmd/leakvet runs the Analyzer
// over packages; a program can run it too, here with the checker driver
// that the command is built on.
func Example() {
	dir, err := os.MkdirTemp("", "leakvet-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for name, content := range map[string]string{
		"go.mod":      "module example.com/pitfalls\n\ngo 1.26\n",
		"pitfalls.go": pitfalls,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}

	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: dir}, ".")
	if err != nil {
		log.Fatal(err)
	}
	graph, err := checker.Analyze([]*analysis.Analyzer{leakvet.Analyzer}, pkgs, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, act := range graph.Roots {
		for _, d := range act.Diagnostics {
			line := act.Package.Fset.Position(d.Pos).Line
			msg, _, _ := strings.Cut(d.Message, ":")
			fmt.Printf("%d: %s: %s\n", line, d.Category, msg)
		}
	}
	// Output:
	// 7: nilchan: send on nil channel results, which is never made or assigned anywhere
	// 11: fanout: goroutines started in the loop on line 12 send on unbuffered channel answers, and it is received once (line 15)
	// 19: unlock: mu.Lock() is still held at the return on line 21, which skips the Unlock below it
	// 30: wgdrift: wg.Add(5) but only 3 goroutines call wg.Done
}
