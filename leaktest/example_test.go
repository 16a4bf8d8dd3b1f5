package leaktest_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/leakproof/leakproof/leaktest"
)

// Find works in a running program. This one leaks nothing, so it finds
// nothing; a leak would print as a goroutine, its wait state and file:line,
// the pitfall and the fix.
func ExampleFind() {
	leaks, err := leaktest.Find()
	if err != nil {
		log.Print(err) // Go 1.26 built without GOEXPERIMENT=goroutineleakprofile
	}
	fmt.Println(len(leaks), "goroutines leaked")
	for _, l := range leaks {
		fmt.Println(l)
	}
	// Output: 0 goroutines leaked
}

// A debug endpoint that lists the goroutines the runtime proves leaked.
func ExampleFind_debugEndpoint() {
	mux := http.NewServeMux()
	// README: find
	mux.HandleFunc("/debug/leaks", func(w http.ResponseWriter, r *http.Request) {
		leaks, err := leaktest.Find()
		if err != nil { // Go 1.26 built without GOEXPERIMENT=goroutineleakprofile
			http.Error(w, err.Error(), http.StatusNotImplemented)
			return
		}
		fmt.Fprintf(w, "%d goroutines leaked\n", len(leaks))
		for _, l := range leaks {
			fmt.Fprintf(w, "\n%s\n", l) // wait state, file:line, pitfall, fix
		}
	})
	// README: end
}
