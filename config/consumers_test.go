package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The key table makes a key loadable, printable and documented, but nothing
// in it makes any code use the value: a key can be accepted and then
// ignored, as tls_ca once was. TestEveryKeyIsRead finds, for every key, the
// members of Config that hand out its value and fails when no code outside
// this package reads one of them.

const importPath = "github.com/pomerium-console/pomerium-console/config"

// printers read every key to print it redacted; printing a Config is not
// using its values.
var printers = []string{"String", "Format", "LogValue", "MarshalLog"}

func TestEveryKeyIsRead(t *testing.T) {
	t.Parallel()
	members := membersByField(t)
	read := readMembers(t)
	for _, k := range keys {
		if _, ok := k.value.(ignored); ok {
			continue // accepted for compatibility and documented as ignored
		}
		field := fieldOf(t, k.value)
		names := members[field]
		if len(names) == 0 {
			t.Errorf("%s: no exported member of Config hands out its field %s", k.name, field)
			continue
		}
		if !slices.ContainsFunc(names, func(n string) bool { return read[n] }) {
			t.Errorf("%s is accepted and then ignored: no code outside config/ reads Config.%s",
				k.name, strings.Join(names, " or Config."))
		}
	}
}

// fieldOf names the field of Config in which b stores its value.
func fieldOf(t *testing.T, b binding) string {
	t.Helper()
	var c Config
	var ptr any
	switch b := b.(type) {
	case textBinding:
		ptr = b.field(&c)
	case listBinding:
		ptr = b.field(&c)
	case bytesBinding:
		ptr = b.field(&c)
	case numberBinding:
		ptr = b.field(&c)
	default:
		t.Fatalf("binding %T: fieldOf does not know where it stores its value", b)
	}
	addr := reflect.ValueOf(ptr).Pointer()
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		if v.Field(i).UnsafeAddr() == addr {
			return v.Type().Field(i).Name
		}
	}
	t.Fatalf("binding %T stores its value outside the fields of Config", b)
	return ""
}

// membersByField maps each field of Config to the exported members that
// hand out its value: the field itself when exported, and the methods
// (printers aside) whose bodies read it.
func membersByField(t *testing.T) map[string][]string {
	t.Helper()
	out := make(map[string][]string)
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		if f.IsExported() {
			out[f.Name] = []string{f.Name}
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || !fd.Name.IsExported() || slices.Contains(printers, fd.Name.Name) {
				continue
			}
			recv := fd.Recv.List[0]
			if !isType(recv.Type, "", "Config") || len(recv.Names) == 0 {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok && isIdent(sel.X, recv.Names[0].Name) &&
					!slices.Contains(out[sel.Sel.Name], fd.Name.Name) {
					out[sel.Sel.Name] = append(out[sel.Sel.Name], fd.Name.Name)
				}
				return true
			})
		}
	}
	return out
}

// readMembers parses every package of the module but this one (test files
// aside: a test reading a key does not use it) and returns the names
// selected on values of type config.Config or *config.Config: variables
// declared with that type or assigned from config.Load, and struct fields
// of that type.
func readMembers(t *testing.T) map[string]bool {
	t.Helper()
	self, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	packages := importersOfConfig(t, filepath.Dir(self), self)
	if len(packages) == 0 {
		t.Fatal("no package outside config/ imports it: the walk of the module found nothing")
	}
	read := make(map[string]bool)
	for _, files := range packages {
		fields := make(map[string]bool) // struct fields of type Config
		for _, f := range files {
			ast.Inspect(f.file, func(n ast.Node) bool {
				if st, ok := n.(*ast.StructType); ok {
					for _, fl := range st.Fields.List {
						addNames(fields, fl, f.local)
					}
				}
				return true
			})
		}
		for _, f := range files {
			// Each top-level declaration is a scope: a cfg of another type
			// (a REST or a zap config) elsewhere in the file does not count.
			for _, d := range f.file.Decls {
				vars := configVars(d, f.local)
				ast.Inspect(d, func(n ast.Node) bool {
					sel, ok := n.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					switch x := sel.X.(type) {
					case *ast.Ident:
						if vars[x.Name] {
							read[sel.Sel.Name] = true
						}
					case *ast.SelectorExpr:
						if fields[x.Sel.Name] {
							read[sel.Sel.Name] = true
						}
					}
					return true
				})
			}
		}
	}
	return read
}

// importingFile is a parsed file that imports this package as local.
type importingFile struct {
	file  *ast.File
	local string
}

// importersOfConfig returns the files under root that import this package,
// by directory, leaving out self, hidden directories, testdata and nested
// modules.
func importersOfConfig(t *testing.T, root, self string) map[string][]importingFile {
	t.Helper()
	fset := token.NewFileSet()
	out := make(map[string][]importingFile)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && skipDir(path, self) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		local, ok := localName(t, path, f)
		if !ok {
			return nil
		}
		if f, err = parser.ParseFile(fset, path, nil, 0); err != nil {
			return err
		}
		out[filepath.Dir(path)] = append(out[filepath.Dir(path)], importingFile{f, local})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func skipDir(path, self string) bool {
	name := filepath.Base(path)
	if path == self || name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

// localName is the name under which f imports this package.
func localName(t *testing.T, path string, f *ast.File) (string, bool) {
	t.Helper()
	for _, spec := range f.Imports {
		if p, err := strconv.Unquote(spec.Path.Value); err != nil || p != importPath {
			continue
		}
		if spec.Name == nil {
			return "config", true
		}
		if spec.Name.Name == "." {
			t.Errorf("%s: a dot import of config hides which of its members the file reads", path)
		}
		return spec.Name.Name, spec.Name.Name != "_"
	}
	return "", false
}

// configVars names the variables of d that hold a Config: parameters,
// results and variables declared with its type, and those assigned the
// result of config.Load.
func configVars(d ast.Decl, pkg string) map[string]bool {
	vars := make(map[string]bool)
	ast.Inspect(d, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncType:
			for _, list := range []*ast.FieldList{n.Params, n.Results} {
				if list != nil {
					for _, fl := range list.List {
						addNames(vars, fl, pkg)
					}
				}
			}
		case *ast.ValueSpec:
			if n.Type != nil && isType(n.Type, pkg, "Config") {
				for _, id := range n.Names {
					vars[id.Name] = true
				}
			} else if len(n.Values) == 1 && isLoad(n.Values[0], pkg) {
				vars[n.Names[0].Name] = true
			}
		case *ast.AssignStmt:
			if len(n.Rhs) == 1 && isLoad(n.Rhs[0], pkg) {
				if id, ok := n.Lhs[0].(*ast.Ident); ok {
					vars[id.Name] = true
				}
			}
		}
		return true
	})
	return vars
}

func addNames(set map[string]bool, fl *ast.Field, pkg string) {
	if isType(fl.Type, pkg, "Config") {
		for _, id := range fl.Names {
			set[id.Name] = true
		}
	}
}

// isType reports whether e is the type pkg.name or *pkg.name; an empty pkg
// means a type of the file's own package.
func isType(e ast.Expr, pkg, name string) bool {
	if star, ok := e.(*ast.StarExpr); ok {
		e = star.X
	}
	if pkg == "" {
		return isIdent(e, name)
	}
	sel, ok := e.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == name && isIdent(sel.X, pkg)
}

func isLoad(e ast.Expr, pkg string) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Load" && isIdent(sel.X, pkg)
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
