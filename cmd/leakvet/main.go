// Command leakvet reports the goroutine leaks and deadlocks that leakproof
// replaces, and rewrites them onto it with -fix.
//
//	leakvet ./...                          report, as go vet does
//	leakvet -fix ./...                     apply the suggested fixes
//	leakvet -json ./...                    report as JSON
//	go vet -vettool=$(which leakvet) ./... run under go vet
//
// A fix may import a leakproof package the module does not require yet:
// run go mod tidy after -fix. The categories, what each reports and what
// each fix does are in the documentation of package
// github.com/leakproof/leakproof/leakvet, as is the directive that
// suppresses a report:
//
//	//leakvet:ignore <category> <reason>
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/leakproof/leakproof/leakvet"
)

func main() { singlechecker.Main(leakvet.Analyzer) }
