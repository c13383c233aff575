package manifest

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// begin names item i of a list of the document, and the object it
// declares by its namespace and label, and returns the id of its
// namespace; false when it has none (refused already).
func (p *planner) begin(list string, i int, namespace, label string) (item, name, ns string, ok bool) {
	item, name = fmt.Sprintf("%s[%d]", list, i), joinPath(namespace, label)
	ns, ok = p.namespaceOf(namespace)
	return item, name, ns, ok
}

// lookup returns the stored object with an identity, nil for none, after
// recording that the document's item declares it.
func (p *planner) lookup(item, name string, id identity) (store.Object, bool) {
	if !p.declare(item, name, id) {
		return nil, false
	}
	return p.stored[id], true
}

func (p *planner) planKeyPairs(list []KeyPair) {
	for i, d := range list {
		item, name, ns, ok := p.begin("key_pairs", i, d.Namespace, d.Name)
		if !ok {
			continue
		}
		after := &store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: d.Name},
			Certificate: []byte(d.Certificate), PrivateKey: []byte(d.PrivateKey), Explicit: d.Explicit}
		before, ok := p.lookup(item, name, identityOf(after))
		if !ok {
			continue
		}
		omitted := len(d.SecretsOmitted) > 0
		switch {
		case omitted && !slices.Equal(d.SecretsOmitted, []string{"private_key"}):
			p.refuse(item, name, "secrets_omitted", "a key pair's only secret is private_key")
			continue
		case omitted && d.PrivateKey != "":
			p.refuse(item, name, "private_key", "is given and listed in secrets_omitted: keep one")
			continue
		case omitted && before == nil:
			p.refuse(item, name, "private_key", "was left out of the document (it was exported without secrets) and the console has no key pair to keep it from: give it, or drop secrets_omitted to create the key pair without a key")
			continue
		}
		if len(after.PrivateKey) == 0 && before != nil {
			// A key pair written without a key keeps the one stored.
			after.PrivateKey = before.(*store.KeyPair).PrivateKey
		}
		p.put(item, name, before, after)
		if before == nil {
			p.names.add(after)
		}
	}
}

func (p *planner) planPolicies(list []Policy) {
	for i, d := range list {
		item, name, ns, ok := p.begin("policies", i, d.Namespace, d.Name)
		if !ok {
			continue
		}
		after := &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: d.Name}, Description: d.Description,
			PPL: d.PPL, Enforced: d.Enforced, Explanation: d.Explanation, Remediation: d.Remediation, Explicit: d.Explicit}
		before, ok := p.lookup(item, name, identityOf(after))
		if !ok {
			continue
		}
		p.put(item, name, before, after, func(store.Object) (string, string) {
			if err := compile.ValidatePPL(after.PPL); err != nil {
				return "ppl", err.Error()
			}
			return "", ""
		})
		if before == nil {
			p.names.add(after)
		}
	}
}

var specParse = protojson.UnmarshalOptions{}

func (p *planner) planSettings(d *Settings) {
	if d == nil {
		return
	}
	const item, name = "settings", "settings"
	if p.scope != p.t.root() {
		p.refuse(item, name, "", "settings belong to the Global namespace: only a document of the whole console holds them")
		return
	}
	spec := &configpb.Settings{}
	if err := specParse.Unmarshal(d.Spec, spec); err != nil {
		p.refuse(item, name, "spec", "%v", err)
		return
	}
	after := &store.Settings{ObjectMeta: store.ObjectMeta{ID: store.SettingsID, NamespaceID: store.GlobalNamespaceID}, Spec: spec, Explicit: d.Explicit}
	var before store.Object
	if p.st.Settings != nil && p.st.Settings.Version != 0 {
		before = p.st.Settings
	}
	if !p.resolveSpec(item, name, after, before, d.SecretsOmitted) {
		return
	}
	if before == nil && p.st.Settings != nil && same(p.st.Settings, after) {
		// Settings never written are their defaults: a document that
		// gives the defaults changes nothing.
		before = p.st.Settings
	}
	p.put(item, name, before, after, func(store.Object) (string, string) {
		st := compile.CheckSettings(spec)
		return st.Field, st.Reason
	})
}

func (p *planner) planRoutes(list []Route) {
	for i, d := range list {
		item, name, ns, ok := p.begin("routes", i, d.Namespace, d.Name)
		if !ok {
			continue
		}
		spec := &configpb.Route{}
		if err := specParse.Unmarshal(d.Spec, spec); err != nil {
			p.refuse(item, name, "spec", "%v", err)
			continue
		}
		after := &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: d.Name}, Spec: spec, Explicit: d.Explicit}
		before, ok := p.lookup(item, name, identityOf(after))
		if !ok {
			continue
		}
		from := p.t.path(ns)
		for j, ref := range spec.PolicyIds {
			id, err := p.names.resolve(store.KindPolicy, ref, from)
			if err != nil {
				p.refuse(item, name, fmt.Sprintf("spec.policy_ids[%d]", j), "%v", err)
				ok = false
				break
			}
			spec.PolicyIds[j] = id
		}
		if !ok || !p.resolveSpec(item, name, after, before, d.SecretsOmitted) {
			continue
		}
		p.put(item, name, before, after, func(store.Object) (string, string) {
			st := compile.CheckRoute(spec)
			return st.Field, st.Reason
		})
	}
}

// resolveSpec turns the key pair references of a route or settings spec
// into ids and keeps the secrets the document omitted from before.
func (p *planner) resolveSpec(item, name string, after, before store.Object, omitted []string) bool {
	from := p.t.path(after.GetObjectMeta().NamespaceID)
	err := mapKeyPairRefs(specOf(after).ProtoReflect(), "spec", func(ref string) (string, error) {
		return p.names.resolve(store.KindKeyPair, ref, from)
	})
	if err != nil {
		p.refuse(item, name, "", "%v", err)
		return false
	}
	if len(omitted) == 0 {
		return true
	}
	if before == nil {
		p.refuse(item, name, "secrets_omitted", "the document leaves out %v (it was exported without secrets) and the console has nothing to keep them from: give them", omitted)
		return false
	}
	if err := keepSecrets(after, before, omitted); err != nil {
		p.refuse(item, name, "secrets_omitted", "%v", err)
		return false
	}
	return true
}

func (p *planner) planServiceAccounts(list []ServiceAccount) {
	for i, d := range list {
		label := "user " + d.User
		if d.ID != "" {
			label = d.ID
		}
		item, name, ns, ok := p.begin("service_accounts", i, d.Namespace, label)
		if !ok {
			continue
		}
		before, ok := p.storedAccount(item, name, ns, d)
		if !ok {
			continue
		}
		var after *store.ServiceAccount
		if before != nil {
			after = store.Clone(before)
		} else {
			user, err := p.opts.UserID(ns, d.User)
			if err != nil {
				p.refuse(item, name, "user", "%v", err)
				continue
			}
			// Named by put, after the id it chooses, as the console names accounts.
			after = &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: ns}, UserID: user}
		}
		after.Description, after.Explicit, after.ExpiresAt = d.Description, d.Explicit, time.Time{}
		if d.ExpiresAt != nil {
			after.ExpiresAt = d.ExpiresAt.UTC()
		}
		var b store.Object
		if before != nil {
			b = before
		}
		p.put(item, name, b, after)
	}
}

// storedAccount finds the stored account a document's item names: by id,
// or by its user.
func (p *planner) storedAccount(item, name, ns string, d ServiceAccount) (*store.ServiceAccount, bool) {
	switch {
	case d.ID != "" && d.User != "":
		p.refuse(item, name, "id", "name an account by its user or by its id, not both")
		return nil, false
	case d.ID != "":
		sa, ok := p.byID[d.ID].(*store.ServiceAccount)
		if !ok || sa.NamespaceID != ns || sa.UserID != "" {
			p.refuse(item, name, "id", "there is no service account %s without a chosen user in %s: the console chooses the ids of accounts, so a new one is named by its user", d.ID, d.Namespace)
			return nil, false
		}
		return sa, p.declare(item, name, identityOf(sa))
	case d.User == "":
		p.refuse(item, name, "user", "is required: the user the account acts as")
		return nil, false
	}
	user, err := p.opts.UserID(ns, d.User)
	if err != nil {
		p.refuse(item, name, "user", "%v", err)
		return nil, false
	}
	obj, ok := p.lookup(item, name, identityOf(&store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: ns}, UserID: user}))
	if !ok || obj == nil {
		return nil, ok
	}
	return obj.(*store.ServiceAccount), true
}

func (p *planner) planPermissions(list []Permission) {
	for i, d := range list {
		item, name, ns, ok := p.begin("permissions", i, d.Namespace, d.SubjectType+" "+d.SubjectID)
		if !ok {
			continue
		}
		after := &store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: ns},
			SubjectType: store.SubjectType(d.SubjectType), SubjectID: d.SubjectID, Role: store.Role(d.Role)}
		before, ok := p.lookup(item, name, identityOf(after))
		if ok {
			p.put(item, name, before, after)
		}
	}
}
