package leakvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// What the suggested fixes share: adding an import, deleting a statement
// without leaving a blank line, reading indentation. Every fix is a set of
// text edits that keep the comments around them; the drivers gofmt the
// result and drop imports the fix left unused.

// importName returns the name by which the file holding pos refers to the
// package path, with the edits that add the import if it is missing. ok is
// false when the name is taken at pos, where the fix uses it, so the fix
// cannot be made without renaming.
func (c *checker) importName(pos token.Pos, path string) (name string, edits []analysis.TextEdit, ok bool) {
	f := c.file(pos)
	if f == nil {
		return "", nil, false
	}
	for _, spec := range f.Imports {
		if p, _ := strconv.Unquote(spec.Path.Value); p == path {
			switch {
			case spec.Name == nil:
				pkg, ok := c.pass.TypesInfo.Implicits[spec].(*types.PkgName)
				if !ok {
					return "", nil, false
				}
				name = pkg.Name()
			case spec.Name.Name == "_" || spec.Name.Name == ".":
				continue
			default:
				name = spec.Name.Name
			}
			return name, nil, true
		}
	}
	name = path[strings.LastIndex(path, "/")+1:]
	if c.pass.Pkg.Scope().Lookup(name) != nil {
		return "", nil, false
	}
	if _, obj := c.pass.Pkg.Scope().Innermost(pos).LookupParent(name, pos); obj != nil {
		return "", nil, false
	}
	return name, []analysis.TextEdit{c.addImport(f, path)}, true
}

// addImport returns the edit that adds an import of path to f: into f's
// last import declaration, in the group of non-standard imports (a new one
// if there is none) or the standard group.
func (c *checker) addImport(f *ast.File, path string) analysis.TextEdit {
	std := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".")
	quoted := strconv.Quote(path)
	var last *ast.GenDecl
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			last = g
		}
	}
	if last == nil {
		return insert(f.Name.End(), "\n\nimport "+quoted)
	}
	if !last.Lparen.IsValid() {
		return insert(last.End(), "\nimport "+quoted)
	}
	if std {
		return insert(last.Lparen+1, "\n\t"+quoted)
	}
	spec := last.Specs[len(last.Specs)-1].(*ast.ImportSpec)
	p, _ := strconv.Unquote(spec.Path.Value)
	if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
		return insert(spec.End(), "\n\t"+quoted)
	}
	return insert(spec.End(), "\n\n\t"+quoted)
}

func insert(pos token.Pos, text string) analysis.TextEdit {
	return analysis.TextEdit{Pos: pos, End: pos, NewText: []byte(text)}
}

func replace(n ast.Node, text string) analysis.TextEdit {
	return analysis.TextEdit{Pos: n.Pos(), End: n.End(), NewText: []byte(text)}
}

// content returns the text of the file holding pos.
func (c *checker) content(pos token.Pos) (*token.File, []byte) {
	tf := c.pass.Fset.File(pos)
	b, err := c.pass.ReadFile(tf.Name())
	if err != nil {
		return tf, nil
	}
	return tf, b
}

// deleteStmt returns the edit that deletes s, with its whole line when
// nothing else (code or comment) shares it.
func (c *checker) deleteStmt(s ast.Stmt) analysis.TextEdit {
	tf, b := c.content(s.Pos())
	start, end := tf.Offset(s.Pos()), tf.Offset(s.End())
	if b == nil {
		return replace(s, "")
	}
	ls := start
	for ls > 0 && (b[ls-1] == ' ' || b[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(b) && (b[le] == ' ' || b[le] == '\t' || b[le] == '\r') {
		le++
	}
	if (ls == 0 || b[ls-1] == '\n') && le < len(b) && b[le] == '\n' {
		return analysis.TextEdit{Pos: tf.Pos(ls), End: tf.Pos(le + 1)}
	}
	return replace(s, "")
}

// indent returns the white space that starts pos's line.
func (c *checker) indent(pos token.Pos) string {
	tf, b := c.content(pos)
	if b == nil {
		return "\t"
	}
	off := tf.Offset(pos)
	ls := off
	for ls > 0 && b[ls-1] != '\n' {
		ls--
	}
	le := ls
	for le < off && (b[le] == ' ' || b[le] == '\t') {
		le++
	}
	return string(b[ls:le])
}

// lineStart returns the position of the start of pos's line.
func (c *checker) lineStart(pos token.Pos) token.Pos {
	tf, b := c.content(pos)
	off := tf.Offset(pos)
	for b != nil && off > 0 && b[off-1] != '\n' {
		off--
	}
	return tf.Pos(off)
}

// lineEnd returns the position of the end of pos's line, past any comment.
func (c *checker) lineEnd(pos token.Pos) token.Pos {
	tf, b := c.content(pos)
	off := tf.Offset(pos)
	for b != nil && off < len(b) && b[off] != '\n' {
		off++
	}
	return tf.Pos(off)
}

// freshName returns the first of names not declared in any scope visible
// at the positions given.
func (c *checker) freshName(at []token.Pos, names ...string) (string, bool) {
	scope := c.pass.Pkg.Scope()
next:
	for _, name := range names {
		for _, pos := range at {
			if _, obj := scope.Innermost(pos).LookupParent(name, pos); obj != nil {
				continue next
			}
		}
		return name, true
	}
	return "", false
}

// declaredWithin reports whether any identifier declared within n is named
// name, so that introducing name around n would be shadowed or shadow.
func (c *checker) declaredWithin(n ast.Node, name string) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name && c.pass.TypesInfo.Defs[id] != nil {
			found = true
		}
		return !found
	})
	return found
}

// fix builds a one-fix slice for a diagnostic.
func fix(message string, edits ...analysis.TextEdit) []analysis.SuggestedFix {
	return []analysis.SuggestedFix{{Message: message, TextEdits: edits}}
}
