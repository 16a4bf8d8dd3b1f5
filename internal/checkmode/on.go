//go:build race || lockxcheck

package checkmode

// On reports whether this build checks for deadlocks before they hang.
const On = true
