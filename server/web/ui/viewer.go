package ui

import (
	"context"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

// Viewer is the signed-in caller of one request, as pages see it.
type Viewer struct {
	Principal *auth.Principal
	// CSRFToken must come back with every form that changes anything.
	CSRFToken string
	// SignedInWithToken is true for a session from the sign-in page (which
	// can sign out), false behind Pomerium.
	SignedInWithToken bool
	// Impersonating names whom the viewer's Pomerium session acts as, when
	// it impersonates someone.
	Impersonating string
	caller        *manage.Caller
}

// NewViewer returns the viewer of p, who calls the use cases as c.
func NewViewer(p *auth.Principal, c *manage.Caller, csrf string, withToken bool) *Viewer {
	return &Viewer{Principal: p, CSRFToken: csrf, SignedInWithToken: withToken, caller: c}
}

// Caller is the viewer as the use cases take it: with its roles, read
// once for the request.
func (v *Viewer) Caller() *manage.Caller { return v.caller }

// May reports whether the viewer may take an action (manage.Action, such as
// "edit-routes") in a namespace: pages hide the controls of what the use
// cases would refuse.
func (v *Viewer) May(action, namespaceID string) bool {
	return v.caller.May(manage.Action(action), namespaceID)
}

type viewerKey struct{}

// WithViewer returns a context carrying v.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the viewer WithViewer put in ctx, or nil.
func ViewerFrom(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// Role is the viewer's role in a namespace.
func (v *Viewer) Role(namespaceID string) store.Role { return v.caller.Role(namespaceID) }

// Namespace is a namespace as selectors show it.
type Namespace struct {
	ID, Name string
	// Path is the names from Global down, joined by " / ".
	Path  string
	Depth int
	Role  store.Role
}

// Namespaces lists the namespaces the viewer can see, in tree order (each
// after its parent, siblings by name).
func (v *Viewer) Namespaces() []Namespace {
	var out []Namespace
	for id, role := range v.caller.Roles() {
		out = append(out, Namespace{ID: id, Name: v.caller.NamespaceName(id), Path: v.NamespacePath(id), Depth: len(v.caller.Ancestry(id)) - 1, Role: role})
	}
	slices.SortFunc(out, func(a, b Namespace) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// hiddenNamespace stands for the path of a namespace the viewer may not
// see: the use cases answer NotFound for it, and its name must not leak.
const hiddenNamespace = "a namespace you cannot view"

// NamespacePath is the path of one namespace; its id when the viewer's
// snapshot does not know it (deleted since); hiddenNamespace when the viewer
// may not see it.
func (v *Viewer) NamespacePath(id string) string {
	if v.caller.Exists(id) && !v.caller.Sees(id) {
		return hiddenNamespace
	}
	chain := v.caller.Ancestry(id)
	if len(chain) == 0 {
		return id
	}
	// Global first. The names of namespaces above that the viewer has no
	// role in are not the viewer's to read: they show as one "…".
	var names []string
	for _, a := range slices.Backward(chain) {
		switch {
		case a == store.GlobalNamespaceID || v.caller.Sees(a):
			names = append(names, v.caller.NamespaceName(a))
		case len(names) == 0 || names[len(names)-1] != "…":
			names = append(names, "…")
		}
	}
	return strings.Join(names, " / ")
}

// Scope is what a list filtered by namespace reads: the namespace selected,
// or every namespace the viewer can see when none is.
func (v *Viewer) Scope(selected string) []string {
	if selected != "" {
		return []string{selected}
	}
	var ids []string
	for _, ns := range v.Namespaces() {
		ids = append(ids, ns.ID)
	}
	return ids
}

// Hidden answers a namespace id the viewer may not see as the use cases
// do: not found, telling nothing of it, not even that it exists. It is nil
// for an empty id or a namespace the viewer sees.
func (v *Viewer) Hidden(namespaceID string) error {
	if namespaceID == "" || v.caller.Sees(namespaceID) {
		return nil
	}
	return manage.Refuse(manage.CodeNotFound, "", "namespace %s not found", namespaceID)
}

// SeesClusters reports whether the viewer may see any cluster: the
// default cluster, whose namespace is Global, or an added cluster, whose
// namespace is its own. A role below a cluster's namespace shows the
// cluster's name beside its namespaces, not the cluster itself.
func (v *Viewer) SeesClusters() bool {
	for id := range v.caller.Roles() {
		if v.caller.Cluster(id) == id {
			return true
		}
	}
	return false
}

// ManagesDataSources reports whether the viewer may manage the external
// data sources of some cluster: admins of the Global namespace or of a
// cluster's namespace.
func (v *Viewer) ManagesDataSources() bool {
	for id := range v.caller.Roles() {
		if v.caller.Cluster(id) == id && v.May(string(manage.ManageDataSources), id) {
			return true
		}
	}
	return false
}

// SeesSessions reports whether the viewer may read the sessions of some
// cluster: admins of the Global namespace or of a cluster's namespace.
func (v *Viewer) SeesSessions() bool {
	for id := range v.caller.Roles() {
		if v.caller.Cluster(id) == id && v.May(string(manage.SeeSessions), id) {
			return true
		}
	}
	return false
}
