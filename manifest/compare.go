package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/store"
)

// same reports whether two objects of one kind hold the same desired
// state, whatever their versions, times and origins.
func same(a, b store.Object) bool {
	am, bm := a.GetObjectMeta(), b.GetObjectMeta()
	if am.Name != bm.Name || am.NamespaceID != bm.NamespaceID {
		return false
	}
	switch x := a.(type) {
	case *store.Route:
		y := b.(*store.Route)
		return proto.Equal(x.Spec, y.Spec) && slices.Equal(x.Explicit, y.Explicit)
	case *store.Settings:
		y := b.(*store.Settings)
		return proto.Equal(x.Spec, y.Spec) && slices.Equal(x.Explicit, y.Explicit)
	case *store.KeyPair:
		y := b.(*store.KeyPair)
		return bytes.Equal(x.Certificate, y.Certificate) && bytes.Equal(x.PrivateKey, y.PrivateKey) && slices.Equal(x.Explicit, y.Explicit)
	}
	da, errA := store.EncodeData(a)
	db, errB := store.EncodeData(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

// diff shows how an object changes, as the document writes it, without
// secrets: a secret that changes is named instead.
func (p *planner) diff(before, after store.Object) string {
	a, errA := p.render(before)
	b, errB := p.render(after)
	if errA != nil || errB != nil {
		return fmt.Sprintf("(cannot show the change: %v)\n", errorsOf(errA, errB))
	}
	text, _, _ := store.Diff(a, b)
	secrets := changedSecrets(before, after)
	if x, ok := before.(*store.KeyPair); ok && !bytes.Equal(x.PrivateKey, after.(*store.KeyPair).PrivateKey) {
		secrets = append(secrets, "private_key")
	}
	for _, s := range secrets {
		text += "~ secret " + s + " changes\n"
	}
	return text
}

func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// render writes one object as the document does, in YAML.
func (p *planner) render(obj store.Object) (string, error) {
	item, err := p.x.item(obj)
	if err != nil {
		return "", err
	}
	j, err := json.Marshal(item)
	if err != nil {
		return "", err
	}
	y, err := jsonToYAML(j)
	return string(y), err
}

// item is an object as the document writes it.
func (x *exporter) item(obj store.Object) (any, error) {
	switch o := obj.(type) {
	case *store.Namespace:
		return x.namespace(o), nil
	case *store.Settings:
		return x.settings(o)
	case *store.KeyPair:
		return x.keyPair(o)
	case *store.Policy:
		return x.policy(o)
	case *store.Route:
		return x.route(o)
	case *store.ServiceAccount:
		return x.serviceAccount(o)
	case *store.NamespacePermission:
		return x.permission(o)
	}
	return nil, fmt.Errorf("%s: unknown kind", obj.Kind())
}

// nameOf names a stored object as Change.Name does.
func (p *planner) nameOf(obj store.Object) string {
	m := obj.GetObjectMeta()
	ns := p.t.path(m.NamespaceID)
	switch o := obj.(type) {
	case *store.Namespace:
		return p.t.path(o.ID)
	case *store.Settings:
		return "settings"
	case *store.ServiceAccount:
		if o.UserID == "" {
			return joinPath(ns, o.ID)
		}
		return joinPath(ns, "user "+shortUser(o.NamespaceID, o.UserID))
	case *store.NamespacePermission:
		return joinPath(ns, string(o.SubjectType)+" "+o.SubjectID)
	}
	return joinPath(ns, m.Name)
}

// prune plans deleting what the scope holds and the document does not
// declare, contents before containers. Objects managed by Kubernetes stay,
// with the namespaces that hold them.
func (p *planner) prune() {
	held := map[string]bool{}
	each(p.st, func(obj store.Object) {
		if obj.GetObjectMeta().Origin == store.OriginKubernetes {
			for id := obj.GetObjectMeta().NamespaceID; id != "" && !held[id]; {
				held[id] = true
				ns, ok := p.byID[id].(*store.Namespace)
				if !ok {
					break
				}
				id = ns.NamespaceID
			}
		}
	})
	var namespaces []*store.Namespace
	each(p.st, func(obj store.Object) {
		m := obj.GetObjectMeta()
		home := m.NamespaceID
		if obj.Kind() == store.KindNamespace {
			home = m.ID
		}
		switch {
		case p.declared[m.ID], m.Origin == store.OriginKubernetes, obj.Kind() == store.KindSettings,
			!within(p.t.path(home), p.scope):
		case obj.Kind() == store.KindNamespace:
			if !held[m.ID] && p.t.path(m.ID) != p.scope && m.ID != store.GlobalNamespaceID {
				namespaces = append(namespaces, obj.(*store.Namespace))
			}
		default:
			p.remove(obj)
		}
	})
	sort.SliceStable(namespaces, func(i, j int) bool {
		return strings.Count(p.t.path(namespaces[i].ID), "/") > strings.Count(p.t.path(namespaces[j].ID), "/")
	})
	for _, ns := range namespaces {
		p.remove(ns)
	}
}

// checkReferences refuses to delete a policy or key pair that a route or
// the settings still use after the plan.
func (p *planner) checkReferences() {
	if len(p.deletes[store.KindPolicy])+len(p.deletes[store.KindKeyPair]) == 0 {
		return
	}
	users := map[string][]string{}
	for _, obj := range p.target {
		var refs []string
		switch o := obj.(type) {
		case *store.Route:
			refs = append(slices.Clone(o.Spec.GetPolicyIds()), store.KeyPairRefs(o.Spec)...)
		case *store.Settings:
			refs = store.KeyPairRefs(o.Spec)
		}
		for _, id := range refs {
			users[id] = append(users[id], fmt.Sprintf("%s %s", obj.Kind(), p.nameOf(obj)))
		}
	}
	for _, k := range []store.Kind{store.KindKeyPair, store.KindPolicy} {
		for _, d := range p.deletes[k] {
			if u := users[d.change.Before.GetObjectMeta().ID]; len(u) > 0 {
				slices.Sort(u)
				p.refuse("", d.change.Name, "", "the document leaves it out, so pruning would delete it, but %s still use it", strings.Join(u, ", "))
			}
		}
	}
}
