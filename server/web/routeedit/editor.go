package routeedit

import (
	"net/url"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/consolepb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// editor is what the route page and the new-route page show.
type editor struct {
	// Route is the route as read; nil on the new-route page.
	Route *pb.Route
	New   bool
	Tab   string
	Tabs  []tabLink
	Form  *ui.Form
	// Version is the version the form was read at, posted back as
	// expected_version.
	Version int64
	// Kubernetes: the route mirrors a Kubernetes object and is read-only
	// here. CanEdit: the viewer manages the route's namespace.
	Kubernetes, CanEdit bool
	// Stale: a save was refused because the route changed meanwhile.
	Stale bool

	NamespaceID, NamespacePath string
	// Namespaces are where the viewer may put the route.
	Namespaces []ui.Namespace
	// Policies are the policies of the route's namespace and those above
	// it that the viewer may see, enforced ones left out (they apply
	// anyway); Enforced names those.
	Policies []option
	Enforced []string
	KeyPairs []option
	// Upstreams are the route's upstream URLs, for their weights.
	Upstreams []upstream
	// secrets says which secret fields hold a value, never the value.
	// SecretsHidden: the use cases left the secrets out for the viewer
	// (manage.Route.SecretsHidden), so secrets says nothing about them.
	secrets       map[string]bool
	SecretsHidden bool
	// retype is the note of a secret field that a refused form carried:
	// type it again, since the page does not send it back.
	retype map[string]string
}

// routeFields are the settings of a stored route.
var routeFields = (&configpb.Route{}).ProtoReflect().Descriptor().Fields()

// secretFields are the route's secrets, by the one table of them
// (store.IsSecret): the form never shows their value. Those a form field
// holds are named alike; the others (a key pair's private key) the editor
// does not offer.
var secretFields = func() []string {
	var out []string
	for i := range routeFields.Len() {
		if fd := routeFields.Get(i); store.IsSecret(fd) {
			out = append(out, string(fd.Name()))
		}
	}
	return out
}()

// secretsSet says which secrets of a stored spec hold a value.
func secretsSet(spec *configpb.Route) map[string]bool {
	m := spec.ProtoReflect()
	out := make(map[string]bool, len(secretFields))
	for _, name := range secretFields {
		out[name] = m.Has(routeFields.ByName(protoreflect.Name(name)))
	}
	return out
}

// secretOf is the secret field of a secret's field or of its removal box
// (NAME_clear).
func secretOf(field string) (string, bool) {
	for _, s := range secretFields {
		if field == s || field == s+"_clear" {
			return s, true
		}
	}
	return "", false
}

type tabLink struct {
	Key, Label, Href string
	Current          bool
}

// option is one choice of a select.
type option struct {
	Value, Label string
}

type upstream struct {
	URL, Field string
}

// ReadOnly says the form is shown without a way to save it.
func (e *editor) ReadOnly() bool { return !e.CanEdit }

// Get is a field's value as the form shows it.
func (e *editor) Get(name string) string { return e.Form.Get(name) }

// Err is a field's refusal.
func (e *editor) Err(name string) string { return e.Form.Err(name) }

// Checked says a checkbox is on.
func (e *editor) Checked(name string) bool { return e.Form.Get(name) != "" }

// Selected says a choice of a select is chosen; multiple choices are kept
// one per line.
func (e *editor) Selected(name, value string) bool {
	for v := range strings.SplitSeq(e.Form.Get(name), "\n") {
		if v == value {
			return true
		}
	}
	return false
}

// HasSecret says a secret field holds a value.
func (e *editor) HasSecret(name string) bool { return e.secrets[name] }

// Retype is the note that asks to type a refused secret again, "" for
// none.
func (e *editor) Retype(name string) string { return e.retype[name] }

// DescribedBy lists the ids of what describes a field, for its
// aria-describedby: its hint (hint says it has one), a secret's notes (is
// a value set, type it again) and its errors.
func (e *editor) DescribedBy(name string, hint bool) string {
	var ids []string
	if hint {
		ids = append(ids, "h-"+name)
	}
	if e.Retype(name) != "" {
		ids = append(ids, "r-"+name)
	}
	if s, ok := secretOf(name); ok && s == name {
		ids = append(ids, "s-"+name)
	}
	return strings.Join(append(ids, e.errorIDs(name)...), " ")
}

// Invalid says a field has an error, its own or its group's.
func (e *editor) Invalid(name string) bool { return len(e.errorIDs(name)) > 0 }

// errorIDs are the ids of the errors about a field: its own, and for a
// weight the error about the weights as a whole, which is shown once
// after them.
func (e *editor) errorIDs(name string) []string {
	var ids []string
	if e.Err(name) != "" {
		ids = append(ids, "e-"+name)
	}
	if strings.HasPrefix(name, "weight_") && e.Err("weights") != "" {
		ids = append(ids, "e-weights")
	}
	return ids
}

// TabLabel is the label of the current tab.
func (e *editor) TabLabel() string {
	t, _ := tabByKey(e.Tab)
	return t.Label
}

// Sync is the route's sync status for the "sync" badge: nil (unknown)
// while the reconciler has not reported on it.
func (e *editor) Sync() *consolepb.SyncStatus {
	if st := e.Route.GetSyncStatus(); st.GetState() != "" {
		return st
	}
	return nil
}

// Origin is the route's origin for the "origin" badge, nil when unknown.
func (e *editor) Origin() *consolepb.SyncStatus {
	if st := e.Route.GetSyncStatus(); st.GetOrigin() != "" {
		return st
	}
	return nil
}

// Actions lists what a route does with its requests.
func (*editor) Actions() []option {
	return []option{
		{actionTo, "Proxy to upstream URLs"},
		{actionRedirect, "Redirect"},
		{actionResponse, "Answer with a fixed response"},
	}
}

// TriState are the choices of an optional flag.
func (*editor) TriState(unset string) []option {
	return []option{{"", unset}, {"true", "Yes"}, {"false", "No"}}
}

// RedirectCodes are the status codes of a redirect.
func (*editor) RedirectCodes() []option {
	return []option{
		{"", "301 Moved Permanently (default)"},
		{pb.RedirectAction_FOUND.String(), "302 Found"},
		{pb.RedirectAction_SEE_OTHER.String(), "303 See Other"},
		{pb.RedirectAction_TEMPORARY_REDIRECT.String(), "307 Temporary Redirect"},
		{pb.RedirectAction_PERMANENT_REDIRECT.String(), "308 Permanent Redirect"},
	}
}

// IssuerFormats are the formats of the iss claim of the JWT assertion.
func (*editor) IssuerFormats() []option {
	return []option{
		{"", "Global setting"},
		{pb.IssuerFormat_IssuerHostOnly.String(), "Host name only"},
		{pb.IssuerFormat_IssuerURI.String(), "URI"},
	}
}

// BearerTokenFormats are what Pomerium does with an Authorization: Bearer
// header of a request.
func (*editor) BearerTokenFormats() []option {
	return []option{
		{"", "Global setting"},
		{pb.BearerTokenFormat_BEARER_TOKEN_FORMAT_DEFAULT.String(), "Default (Pomerium session or service account tokens)"},
		{pb.BearerTokenFormat_BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN.String(), "Identity provider access tokens"},
		{pb.BearerTokenFormat_BEARER_TOKEN_FORMAT_IDP_IDENTITY_TOKEN.String(), "Identity provider identity tokens"},
	}
}

// LBPolicies are the load balancing policies of Envoy.
func (*editor) LBPolicies() []option {
	return []option{
		{"", "Round robin (default)"},
		{pb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_ROUND_ROBIN.String(), "Round robin"},
		{pb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_LEAST_REQUEST.String(), "Least request"},
		{pb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_RANDOM.String(), "Random"},
		{pb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_RING_HASH.String(), "Ring hash"},
		{pb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_MAGLEV.String(), "Maglev"},
	}
}

// tabLinks are the links of the tabs of route id.
func tabLinks(id, current string) []tabLink {
	out := make([]tabLink, len(tabs))
	for i, t := range tabs {
		out[i] = tabLink{Key: t.Key, Label: t.Label, Current: t.Key == current,
			Href: "/routes/" + url.PathEscape(id) + "?tab=" + t.Key}
	}
	return out
}

// newEditor is the editor of a route as the viewer v reads it: read-only
// unless v may edit the routes of its namespace and it does not come from
// Kubernetes.
func newEditor(v *ui.Viewer, route *manage.Route, tabKey string) *editor {
	r := convert.RouteOut(route)
	e := &editor{
		Route: r, Tab: tabKey, Tabs: tabLinks(r.GetId(), tabKey), Form: ui.NewForm(),
		Version: r.GetVersion(), NamespaceID: r.GetNamespaceId(), NamespacePath: v.NamespacePath(r.GetNamespaceId()),
		Kubernetes: route.Origin == store.OriginKubernetes,
		secrets:    secretsSet(route.Spec),
		// To a viewer the use cases give no secrets, an unset secret and a
		// set one look the same.
		SecretsHidden: route.SecretsHidden,
		retype:        map[string]string{},
	}
	e.CanEdit = !e.Kubernetes && v.May(string(manage.EditRoutes), r.GetNamespaceId())
	e.Form.Values = valuesOf(r)
	for i, u := range r.GetTo() {
		raw, _, _ := strings.Cut(u, ",")
		e.Upstreams = append(e.Upstreams, upstream{URL: raw, Field: weightField(i)})
	}
	return e
}

// Note says why the route is read-only.
func (e *editor) Note() string {
	switch {
	case e.Kubernetes:
		return "This route mirrors the Kubernetes object " + e.Route.GetSyncStatus().GetOriginRef() +
			": it is read-only here; change it in Kubernetes."
	case !e.CanEdit && !e.New:
		return "You may view this route but not change it: that needs the " + string(manage.Needs[manage.EditRoutes]) +
			" role in namespace " + e.NamespacePath + "."
	}
	return ""
}
