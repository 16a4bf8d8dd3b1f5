// Package cases gives leakvet's tests a copy of the module of cases in
// leakvet/testdata, so that they can let the go command bring its go.sum
// up to date without writing to the source tree: the cases require this
// repository through a replace, so its requirements are theirs.
package cases

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Copy copies the cases module into a temporary directory, with its replace
// pointed at this repository's root, sets GOFLAGS=-mod=mod for the rest of
// the test, and returns the directory.
func Copy(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cases: Copy: cannot find the cases module")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	src := filepath.Join(root, "leakvet", "testdata")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == "go.mod" {
			b = bytes.ReplaceAll(b, []byte("=> ../.."), []byte("=> "+root))
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOWORK", "off")
	return dst
}
