package manifest

import (
	"fmt"
	"slices"

	"github.com/pomerium-console/pomerium-console/store"
)

// docPath is a namespace path of the document with the item it is in.
type docPath struct {
	item, path string
	// declared: the item is an entry of namespaces.
	declared bool
	explicit []string
}

// paths lists every namespace path of the document, the scope first.
func (doc *Document) paths() []docPath {
	var out []docPath
	if doc.Scope != "" {
		out = append(out, docPath{item: "scope", path: doc.Scope})
	}
	for i, ns := range doc.Namespaces {
		out = append(out, docPath{item: fmt.Sprintf("namespaces[%d]", i), path: ns.Path, declared: true, explicit: ns.Explicit})
	}
	add := func(list string, i int, path string) {
		out = append(out, docPath{item: fmt.Sprintf("%s[%d]", list, i), path: path})
	}
	for i, o := range doc.KeyPairs {
		add("key_pairs", i, o.Namespace)
	}
	for i, o := range doc.Policies {
		add("policies", i, o.Namespace)
	}
	for i, o := range doc.Routes {
		add("routes", i, o.Namespace)
	}
	for i, o := range doc.ServiceAccounts {
		add("service_accounts", i, o.Namespace)
	}
	for i, o := range doc.Permissions {
		add("permissions", i, o.Namespace)
	}
	return out
}

// rootName reads the paths of a document and returns the name they give
// the Global namespace (their first), "" when there are none, and what is
// wrong with them.
func rootName(doc *Document) (string, []*Refusal) {
	var root string
	var refused []*Refusal
	for _, dp := range doc.paths() {
		names, err := splitPath(dp.path)
		if err != nil {
			refused = append(refused, &Refusal{Item: dp.item, Field: pathField(dp), Reason: err.Error()})
			continue
		}
		if root == "" {
			root = names[0]
		} else if names[0] != root {
			refused = append(refused, &Refusal{Item: dp.item, Field: pathField(dp),
				Reason: fmt.Sprintf("%q starts at %q, other paths of the document at %q: every path starts at the Global namespace", dp.path, names[0], root)})
		}
	}
	return root, refused
}

func pathField(dp docPath) string {
	switch {
	case dp.item == "scope":
		return ""
	case dp.declared:
		return "path"
	}
	return "namespace"
}

// planNamespaces plans the namespaces of the document: those it lists and
// those its objects are in, with every namespace between them and the
// scope, parents first. rootName has read the paths.
func (p *planner) planNamespaces(doc *Document) {
	p.scope = p.t.root()
	if doc.Scope != "" {
		p.scope = joinNames(mustSplit(doc.Scope))
	}
	byPath := map[string]*docPath{}
	for _, dp := range doc.paths() {
		names := mustSplit(dp.path)
		if path := joinNames(names); !within(path, p.scope) {
			p.refuse(dp.item, "", pathField(dp), "%s is outside the document's scope %s", path, p.scope)
			continue
		}
		for n := len(names); n > 0; n-- {
			path := joinNames(names[:n])
			if !within(path, p.scope) {
				break
			}
			w, ok := byPath[path]
			switch {
			case !ok:
				w = &docPath{item: dp.item, path: path}
				byPath[path] = w
			case w.declared && dp.declared && n == len(names):
				p.refuse(dp.item, path, "path", "is declared twice, first as %s", w.item)
				continue
			}
			if dp.declared && n == len(names) {
				w.item, w.declared, w.explicit = dp.item, true, dp.explicit
			}
		}
	}
	wants := make([]*docPath, 0, len(byPath))
	for _, w := range byPath {
		wants = append(wants, w)
	}
	slices.SortFunc(wants, func(a, b *docPath) int { return comparePaths(a.path, b.path) })
	for _, w := range wants {
		p.planNamespace(w.item, w.path, w.declared, w.explicit)
	}
}

// mustSplit splits a path rootName has read already.
func mustSplit(path string) []string {
	names, err := splitPath(path)
	if err != nil {
		return []string{path}
	}
	return names
}

// planNamespace plans one namespace of the document; explicit counts only
// for one it lists (declared).
func (p *planner) planNamespace(item, path string, declared bool, explicit []string) {
	if id, ok := p.t.byPath[path]; ok {
		stored := p.byID[id].(*store.Namespace)
		p.declared[id] = true
		if declared {
			after := store.Clone(stored)
			after.Explicit = explicit
			p.put(item, path, stored, after)
		}
		return
	}
	up, ok := p.t.byPath[parent(path)]
	if !ok {
		p.refuse(item, path, pathField(docPath{item: item, declared: declared}), "namespace %s does not exist", parent(path))
		return
	}
	names := mustSplit(path)
	ns := &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: up, Name: names[len(names)-1]}, Explicit: explicit}
	p.put(item, path, nil, ns)
	if _, ok := p.target[ns.ID]; ok {
		p.t.add(ns)
	}
}

// namespaceOf returns the id of the namespace at path for an object of
// the document; false when there is none (it was refused already, or the
// path is outside the scope).
func (p *planner) namespaceOf(path string) (string, bool) {
	names, err := splitPath(path)
	if err != nil {
		return "", false
	}
	id, ok := p.t.byPath[joinNames(names)]
	if !ok || !within(joinNames(names), p.scope) {
		return "", false
	}
	return id, true
}
