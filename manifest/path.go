package manifest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pomerium-console/pomerium-console/store"
)

// A path names a namespace by the names on the way from the Global
// namespace, joined by slashes: "Global/Engineering". A slash or backslash
// inside a name is escaped with a backslash ("a\/b"), so that every name
// can be written. A reference to an object adds its name as a last
// segment; a reference of one segment is an object of the referrer's own
// namespace.

// segment is a name as a path writes it.
func segment(name string) string {
	return strings.NewReplacer(`\`, `\\`, `/`, `\/`).Replace(name)
}

// joinPath joins a path and a name.
func joinPath(path, name string) string {
	if path == "" {
		return segment(name)
	}
	return path + "/" + segment(name)
}

// splitPath returns the names of a path.
func splitPath(path string) ([]string, error) {
	if path == "" {
		return nil, errors.New("is empty")
	}
	var names []string
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '\\':
			if i+1 == len(path) || (path[i+1] != '/' && path[i+1] != '\\') {
				return nil, fmt.Errorf("%q: a backslash escapes only / and \\", path)
			}
			i++
			b.WriteByte(path[i])
		case '/':
			names = append(names, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	names = append(names, b.String())
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("%q has an empty name", path)
		}
	}
	return names, nil
}

// parent is the path of the namespace above path ("" for the root).
func parent(path string) string {
	names, err := splitPath(path)
	if err != nil || len(names) < 2 {
		return ""
	}
	return joinNames(names[:len(names)-1])
}

func joinNames(names []string) string {
	out := ""
	for _, n := range names {
		out = joinPath(out, n)
	}
	return out
}

// within reports whether path is scope or below it.
func within(path, scope string) bool {
	return path == scope || strings.HasPrefix(path, scope+"/")
}

// tree is the namespaces of a state by id and by path.
type tree struct {
	byID   map[string]*store.Namespace
	paths  map[string]string // id to path
	byPath map[string]string // path to id
}

func newTree(namespaces []*store.Namespace) *tree {
	t := &tree{byID: map[string]*store.Namespace{}, paths: map[string]string{}, byPath: map[string]string{}}
	for _, ns := range namespaces {
		t.byID[ns.ID] = ns
	}
	for _, ns := range namespaces {
		t.add(ns)
	}
	return t
}

// add records a namespace whose parent is recorded or in byID.
func (t *tree) add(ns *store.Namespace) string {
	if p, ok := t.paths[ns.ID]; ok {
		return p
	}
	t.byID[ns.ID] = ns
	p := segment(ns.Name)
	if up, ok := t.byID[ns.NamespaceID]; ok && ns.ID != store.GlobalNamespaceID {
		p = joinPath(t.add(up), ns.Name)
	}
	t.paths[ns.ID], t.byPath[p] = p, ns.ID
	return p
}

// path is the path of the namespace id ("" when it is unknown).
func (t *tree) path(id string) string { return t.paths[id] }

// root is the path of the Global namespace.
func (t *tree) root() string { return t.paths[store.GlobalNamespaceID] }
