package leakproof_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")
	region  = regexp.MustCompile(`(?s)// README: ([^\n]+)\n(.*?)\n[ \t]*// README: end\n`)
)

// TestReadmeSnippetsCompile keeps the README honest: every Go snippet in it
// must be, verbatim up to indentation, a region of compiled code marked
// "// README: <name>" ... "// README: end", so a snippet cannot rot while
// the code it shows moves on. And every marked region must be in the README,
// so a marker cannot outlive its snippet.
func TestReadmeSnippetsCompile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	regions := map[string]string{} // text -> where
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range region.FindAllSubmatch(src, -1) {
			regions[dedent(strings.TrimRight(string(m[2]), "\n"))] = path + ": " + string(m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	blocks := goBlock.FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README has no Go snippets")
	}
	for _, b := range blocks {
		snippet := dedent(strings.TrimRight(string(b[1]), "\n"))
		if _, ok := regions[snippet]; !ok {
			t.Errorf("README snippet is not a marked region of any .go file:\n%s", snippet)
		}
		used[snippet] = true
	}
	for text, where := range regions {
		if !used[text] {
			t.Errorf("%s: marked for the README but not in it", where)
		}
	}
}

// dedent removes the indentation common to every non-blank line.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	common, seen := "", false
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if !seen {
			common, seen = indent, true
		}
		for !strings.HasPrefix(indent, common) {
			common = common[:len(common)-1]
		}
	}
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, common)
	}
	return strings.Join(lines, "\n")
}
