package leakvet

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"
)

// The suppression directive:
//
//	//leakvet:ignore <category>[,<category>...] <reason>
//
// It covers its own line when it trails code, the next line when it stands
// alone on its line, and the whole declaration when it is part of a function
// declaration's doc comment. The reason is required: a directive without one
// suppresses nothing, and the report says so.
const directivePrefix = "//leakvet:ignore"

type ignoreResult int

const (
	ignoreNo ignoreResult = iota
	ignoreYes
	ignoreNoReason
)

// An ignoreSet is the directives of one file.
type ignoreSet struct {
	trailing map[int][]directive // by line: covers that line
	alone    map[int][]directive // by line: covers the line after
	decls    []declDirective     // covers a function declaration
}

type directive struct {
	categories []string
	reason     bool
}

type declDirective struct {
	pos, end token.Pos
	directive
}

func (d directive) covers(category string) bool { return slices.Contains(d.categories, category) }

// ignored reports whether a directive for category covers pos, in the file
// f.
func (c *checker) ignored(f *ast.File, category string, pos token.Pos) ignoreResult {
	if c.ignores == nil {
		c.ignores = make(map[*token.File]*ignoreSet)
	}
	tf := c.pass.Fset.File(pos)
	set, ok := c.ignores[tf]
	if !ok {
		set = c.parseIgnores(f)
		c.ignores[tf] = set
	}
	if set == nil {
		return ignoreNo
	}
	line := tf.Line(pos)
	result := ignoreNo
	match := func(d directive) bool {
		if !d.covers(category) {
			return false
		}
		if d.reason {
			result = ignoreYes
			return true
		}
		result = ignoreNoReason
		return false
	}
	for _, d := range set.trailing[line] {
		if match(d) {
			return result
		}
	}
	for _, d := range set.alone[line-1] {
		if match(d) {
			return result
		}
	}
	for _, d := range set.decls {
		if d.pos <= pos && pos < d.end && match(d.directive) {
			return result
		}
	}
	return result
}

// parseIgnores collects f's directives, or returns nil if it has none.
func (c *checker) parseIgnores(f *ast.File) *ignoreSet {
	var set *ignoreSet
	tf, content := c.content(f.Pos())
	for _, group := range f.Comments {
		for _, com := range group.List {
			d, ok := parseDirective(com.Text)
			if !ok {
				continue
			}
			if set == nil {
				set = &ignoreSet{trailing: make(map[int][]directive), alone: make(map[int][]directive)}
			}
			line := tf.Line(com.Pos())
			if startsLine(content, tf, com.Pos()) {
				set.alone[line] = append(set.alone[line], d)
			} else {
				set.trailing[line] = append(set.trailing[line], d)
			}
		}
	}
	if set == nil {
		return nil
	}
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Doc == nil {
			continue
		}
		for _, com := range fd.Doc.List {
			if d, ok := parseDirective(com.Text); ok {
				set.decls = append(set.decls, declDirective{fd.Pos(), fd.End(), d})
			}
		}
	}
	return set
}

// parseDirective parses one comment's text as a directive.
func parseDirective(text string) (directive, bool) {
	rest, ok := strings.CutPrefix(text, directivePrefix)
	if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return directive{}, false
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return directive{}, true // names nothing, covers nothing
	}
	return directive{categories: strings.Split(fields[0], ","), reason: len(fields) > 1}, true
}

// startsLine reports whether only white space precedes pos on its line.
func startsLine(content []byte, tf *token.File, pos token.Pos) bool {
	off := tf.Offset(pos)
	if content == nil || off > len(content) {
		return false
	}
	for i := off - 1; i >= 0 && content[i] != '\n'; i-- {
		if content[i] != ' ' && content[i] != '\t' {
			return false
		}
	}
	return true
}
