package manifest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/store"
)

// ExportOptions say what of a state a document holds.
type ExportOptions struct {
	// Scope is the id of the namespace the document declares, with
	// everything below it; empty is the Global namespace.
	Scope string
	// Secrets writes the secrets of routes and settings and the private
	// keys of key pairs; without it they are listed in secrets_omitted.
	Secrets bool
	// Include, when set, leaves out the objects it refuses (those a caller
	// may not see).
	Include func(store.Object) bool
}

// Export writes the part of st below opts.Scope as a document. Objects
// managed by Kubernetes are left out: their source is the cluster. The
// state must hold the secrets when opts.Secrets is set.
func Export(st *store.State, opts ExportOptions) (*Document, error) {
	if opts.Scope == "" {
		opts.Scope = store.GlobalNamespaceID
	}
	x := newExporter(st, opts.Secrets)
	scope := x.names.t.path(opts.Scope)
	if scope == "" {
		return nil, fmt.Errorf("namespace %s not found", opts.Scope)
	}
	in := func(obj store.Object) bool {
		m := obj.GetObjectMeta()
		ns := m.NamespaceID
		if obj.Kind() == store.KindNamespace {
			ns = m.ID
		}
		return m.Origin != store.OriginKubernetes && within(x.names.t.path(ns), scope) &&
			(opts.Include == nil || opts.Include(obj))
	}
	doc := &Document{Format: Format}
	if opts.Scope != store.GlobalNamespaceID {
		doc.Scope = scope
	}
	for _, ns := range st.Namespaces {
		if in(ns) {
			doc.Namespaces = append(doc.Namespaces, x.namespace(ns))
		}
	}
	if opts.Scope == store.GlobalNamespaceID && st.Settings != nil && in(st.Settings) {
		s, err := x.settings(st.Settings)
		if err != nil {
			return nil, err
		}
		doc.Settings = &s
	}
	if err := exportAll(st.KeyPairs, in, x.keyPair, &doc.KeyPairs); err != nil {
		return nil, err
	}
	if err := exportAll(st.Policies, in, x.policy, &doc.Policies); err != nil {
		return nil, err
	}
	if err := exportAll(st.Routes, in, x.route, &doc.Routes); err != nil {
		return nil, err
	}
	if err := exportAll(st.ServiceAccounts, in, x.serviceAccount, &doc.ServiceAccounts); err != nil {
		return nil, err
	}
	if err := exportAll(st.Permissions, in, x.permission, &doc.Permissions); err != nil {
		return nil, err
	}
	doc.sort()
	return doc, nil
}

func exportAll[T store.Object, D any](objs []T, in func(store.Object) bool, conv func(T) (D, error), out *[]D) error {
	for _, o := range objs {
		if !in(o) {
			continue
		}
		d, err := conv(o)
		if err != nil {
			return fmt.Errorf("export %s %s: %w", o.Kind(), o.GetObjectMeta().ID, err)
		}
		*out = append(*out, d)
	}
	return nil
}

// sort puts every list in the order of its identities, so that two
// exports of the same state are the same bytes.
func (d *Document) sort() {
	slices.SortFunc(d.Namespaces, func(a, b Namespace) int { return comparePaths(a.Path, b.Path) })
	slices.SortFunc(d.KeyPairs, func(a, b KeyPair) int {
		return cmp.Or(comparePaths(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(d.Policies, func(a, b Policy) int {
		return cmp.Or(comparePaths(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(d.Routes, func(a, b Route) int {
		return cmp.Or(comparePaths(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	slices.SortFunc(d.ServiceAccounts, func(a, b ServiceAccount) int {
		return cmp.Or(comparePaths(a.Namespace, b.Namespace), cmp.Compare(a.User, b.User), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(d.Permissions, func(a, b Permission) int {
		return cmp.Or(comparePaths(a.Namespace, b.Namespace), cmp.Compare(a.SubjectType, b.SubjectType), cmp.Compare(a.SubjectID, b.SubjectID))
	})
}

// comparePaths orders paths as a tree: a namespace before those below it.
func comparePaths(a, b string) int {
	x, errA := splitPath(a)
	y, errB := splitPath(b)
	if errA != nil || errB != nil {
		return cmp.Compare(a, b)
	}
	return slices.Compare(x, y)
}

// exporter turns stored objects into the objects of a document.
type exporter struct {
	names   *names
	secrets bool
}

func newExporter(st *store.State, secrets bool) *exporter {
	n := newNames(newTree(st.Namespaces))
	for _, p := range st.Policies {
		n.add(p)
	}
	for _, kp := range st.KeyPairs {
		n.add(kp)
	}
	return &exporter{names: n, secrets: secrets}
}

var specJSON = protojson.MarshalOptions{UseProtoNames: true}

func (x *exporter) namespace(ns *store.Namespace) Namespace {
	return Namespace{Path: x.names.t.path(ns.ID), Explicit: ns.Explicit}
}

// spec renders a route or settings spec with its references by name and,
// unless secrets are exported, without its secrets, which it returns.
func (x *exporter) spec(obj store.Object) (json.RawMessage, []string, []string, error) {
	c := store.Clone(obj)
	var omitted []string
	if !x.secrets {
		omitted = store.Redact(c)
	}
	var cs proto.Message
	switch o := c.(type) {
	case *store.Route:
		cs = o.Spec
		from := o.NamespaceID
		for i, id := range o.Spec.PolicyIds {
			o.Spec.PolicyIds[i] = x.names.ref(id, from)
		}
	case *store.Settings:
		cs = o.Spec
	}
	from := c.GetObjectMeta().NamespaceID
	if err := mapKeyPairRefs(cs.ProtoReflect(), "", func(id string) (string, error) { return x.names.ref(id, from), nil }); err != nil {
		return nil, nil, nil, err
	}
	raw, err := specJSON.Marshal(cs)
	if err != nil {
		return nil, nil, nil, err
	}
	return raw, *store.ExplicitOf(c), omitted, nil
}

func (x *exporter) settings(s *store.Settings) (Settings, error) {
	raw, explicit, omitted, err := x.spec(s)
	return Settings{Spec: raw, Explicit: explicit, SecretsOmitted: omitted}, err
}

func (x *exporter) route(r *store.Route) (Route, error) {
	raw, explicit, omitted, err := x.spec(r)
	return Route{Namespace: x.names.t.path(r.NamespaceID), Name: r.Name, Spec: raw, Explicit: explicit, SecretsOmitted: omitted}, err
}

func (x *exporter) keyPair(kp *store.KeyPair) (KeyPair, error) {
	out := KeyPair{Namespace: x.names.t.path(kp.NamespaceID), Name: kp.Name, Certificate: string(kp.Certificate), Explicit: kp.Explicit}
	switch {
	case x.secrets:
		out.PrivateKey = string(kp.PrivateKey)
	case kp.HasPrivateKey || len(kp.PrivateKey) > 0:
		out.SecretsOmitted = []string{"private_key"}
	}
	return out, nil
}

func (x *exporter) policy(p *store.Policy) (Policy, error) {
	return Policy{Namespace: x.names.t.path(p.NamespaceID), Name: p.Name, Description: p.Description, PPL: p.PPL,
		Enforced: p.Enforced, Explanation: p.Explanation, Remediation: p.Remediation, Explicit: p.Explicit}, nil
}

func (x *exporter) serviceAccount(sa *store.ServiceAccount) (ServiceAccount, error) {
	out := ServiceAccount{Namespace: x.names.t.path(sa.NamespaceID), Description: sa.Description, Explicit: sa.Explicit}
	if sa.UserID == "" {
		out.ID = sa.ID
	} else {
		out.User = shortUser(sa.NamespaceID, sa.UserID)
	}
	if !sa.ExpiresAt.IsZero() {
		out.ExpiresAt = new(sa.ExpiresAt.UTC())
	}
	return out, nil
}

func (x *exporter) permission(p *store.NamespacePermission) (Permission, error) {
	return Permission{Namespace: x.names.t.path(p.NamespaceID), SubjectType: string(p.SubjectType), SubjectID: p.SubjectID, Role: string(p.Role)}, nil
}

// userSuffix ends the user id of a service account outside the Global
// namespace (manage.ServiceAccountUserID).
func userSuffix(namespaceID string) string { return "@" + namespaceID + ".pomerium" }

// shortUser is a service account's user id as a document writes it:
// without the suffix of its own namespace, which would tie the document to
// the namespace's id.
func shortUser(namespaceID, userID string) string {
	if namespaceID == store.GlobalNamespaceID {
		return userID
	}
	if short, ok := strings.CutSuffix(userID, userSuffix(namespaceID)); ok && short != "" {
		return short
	}
	return userID
}
