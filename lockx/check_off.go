//go:build !race && !lockxcheck

package lockx

// lockCheck is what a lock keeps for checked mode: nothing, in this build.
// The field it fills has no size, and the calls on it compile to nothing.
type lockCheck struct{}

// held is what a checked acquisition returns for its release to drop.
type held struct{}

func (*lockCheck) acquire(method string, mode acquireMode) held { return held{} }

func (held) done() {}
