// Package usermod is a user's module that tests its code with leaktest
// and imports nothing else of leakproof. leaktest's tests run its tests,
// clean and with USERMOD_LEAK set, on every Go release CI runs.
package usermod

// First returns the first of fns' results to arrive. The others' senders
// block forever on the unbuffered channel: the leak the tests catch.
func First(fns ...func() string) string {
	results := make(chan string)
	for _, f := range fns {
		go func() {
			results <- f() // leak: usermod
		}()
	}
	return <-results
}
