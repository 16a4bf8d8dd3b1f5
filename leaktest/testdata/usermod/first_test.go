package usermod_test

import (
	"os"
	"testing"

	"github.com/leakproof/leakproof/leaktest"

	"example.com/usermod"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

func TestFirst(t *testing.T) {
	leaktest.Check(t)
	answer := func() string { return "answer" }
	fns := []func() string{answer}
	if os.Getenv("USERMOD_LEAK") != "" {
		fns = append(fns, answer, answer) // two senders nobody receives from
	}
	if got := usermod.First(fns...); got != "answer" {
		t.Errorf("First = %q", got)
	}
}
