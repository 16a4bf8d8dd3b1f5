//go:build !race && !lockxcheck

package lockx

import (
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

// TestNoCheckCostsNoSpace: outside checked mode the field that checked mode
// uses takes no space in any lock.
func TestNoCheckCostsNoSpace(t *testing.T) {
	type bare struct { // rwlock without its check field
		_ atomic.Int64
		_ sync.Mutex
		_ waitQueue
		_ waitQueue
		_ waitQueue
		_ *condVar
	}
	if s := unsafe.Sizeof(lockCheck{}); s != 0 {
		t.Errorf("lockCheck has size %d", s)
	}
	for name, size := range map[string]uintptr{
		"rwlock":       unsafe.Sizeof(rwlock{}),
		"Mutex":        unsafe.Sizeof(Mutex{}),
		"RWMutex":      unsafe.Sizeof(RWMutex{}),
		"Guarded[int]": unsafe.Sizeof(Guarded[int]{}) - unsafe.Sizeof(0),
	} {
		if want := unsafe.Sizeof(bare{}); size != want {
			t.Errorf("%s has size %d, want %d", name, size, want)
		}
	}
}
