// The module leakvet's tests analyse: positive and negative cases per
// category, golden files for the fixes, and tests that prove each fixed
// case no longer leaks (run on a copy, after leakvet -fix).
module leakvet.test

go 1.26.0

require (
	github.com/leakproof/leakproof v0.0.0-00010101000000-000000000000
	go.uber.org/goleak v1.3.0
	golang.org/x/sync v0.25.0
)

replace github.com/leakproof/leakproof => ../..
