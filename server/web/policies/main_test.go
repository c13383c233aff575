package policies_test

import (
	"net/url"
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/policies"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

const (
	global  = store.GlobalNamespaceID
	goodPPL = "allow:\n  or:\n    - email: {is: user@example.com}\n"
	// badPPL has an unknown matcher on its fourth line.
	badPPL = "allow:\n  and:\n    - domain: {is: example.com}\n    - email: {equals: a@example.com}\n"
)

// env is a console with only this screen mounted, so that the tests do not
// depend on the other screens.
func env(t *testing.T) (*webtest.Env, store.Store) {
	t.Helper()
	st := webtest.Embedded(t)
	return webtest.New(t, st, webtest.Options{Screens: []web.Screen{policies.Register}}), st
}

var seeder = store.Actor{Subject: "test", Origin: store.OriginAPI}

func put[T store.Object](t *testing.T, st store.Store, obj T) T {
	t.Helper()
	got, err := store.Put(t.Context(), st, seeder, obj, 0)
	if err != nil {
		t.Fatalf("put %T: %v", obj, err)
	}
	return got
}

func namespace(t *testing.T, st store.Store, parent, name string) *store.Namespace {
	t.Helper()
	return put(t, st, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}})
}

func policy(t *testing.T, st store.Store, ns, name string, enforced bool) *store.Policy {
	t.Helper()
	return put(t, st, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}, PPL: goodPPL, Enforced: enforced, Description: "about " + name})
}

func route(t *testing.T, st store.Store, ns, name string, policyIDs ...string) *store.Route {
	t.Helper()
	return put(t, st, &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
		Spec:       &configpb.Route{From: "https://" + name + ".example.com", To: []string{"https://upstream.internal.example"}, PolicyIds: policyIDs},
	})
}

func getPolicy(t *testing.T, st store.Store, id string) *store.Policy {
	t.Helper()
	p, err := store.Get[*store.Policy](t.Context(), st, id)
	if err != nil {
		t.Fatalf("read policy %s: %v", id, err)
	}
	return p
}

// policiesNamed lists the policies of a namespace whose name contains name.
func policiesNamed(t *testing.T, st store.Store, ns, name string) []*store.Policy {
	t.Helper()
	res, err := st.List(t.Context(), store.KindPolicy, store.ListQuery{NamespaceID: ns, Query: name})
	if err != nil {
		t.Fatal(err)
	}
	var out []*store.Policy
	for _, o := range res.Objects {
		out = append(out, o.(*store.Policy))
	}
	return out
}

// editorForm is what the editor posts to save a policy.
func editorForm(name, ns, ppl string) url.Values {
	return url.Values{"action": {"save"}, "name": {name}, "namespace_id": {ns}, "ppl": {ppl}, "description": {"who may enter"}}
}
