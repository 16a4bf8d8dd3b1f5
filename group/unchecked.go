//go:build !race && !lockxcheck

package group

// ownTasks is empty outside checked mode; see checked.go. Its methods are
// never called: every call is behind the constant checkmode.On.
type ownTasks struct{}

func (*ownTasks) enter(*Group, *site) uint64 { return 0 }
func (*ownTasks) exit(uint64)                {}
func (*ownTasks) check(string)               {}
