// Package errgroup2 is a package of this module whose name looks like the
// one leakvet reports: not reported.
package errgroup2

// Check reports nothing; it is here to be imported.
func Check() error { return nil }
