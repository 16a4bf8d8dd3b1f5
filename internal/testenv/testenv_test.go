package testenv_test

import (
	"errors"
	"testing"

	"github.com/leakproof/leakproof/internal/testenv"
)

func TestPanicValue(t *testing.T) {
	err := errors.New("boom")
	if v := testenv.PanicValue(func() { panic(err) }); v != err {
		t.Errorf("PanicValue = %v, want %v", v, err)
	}
	if v := testenv.PanicValue(func() {}); v != nil {
		t.Errorf("PanicValue of a return = %v, want nil", v)
	}
}
