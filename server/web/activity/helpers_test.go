package activity_test

import (
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/activity"
	"github.com/pomerium-console/pomerium-console/server/web/status"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

var (
	alice = store.Actor{Subject: "alice@example.com", Origin: store.OriginAPI}
	bob   = store.Actor{Subject: "bob@example.com", Origin: store.OriginImport}
)

// fixture is a console with a store to write history into.
type fixture struct {
	t  *testing.T
	st store.Store
	e  *webtest.Env
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := webtest.Embedded(t)
	return &fixture{t: t, st: st, e: webtest.New(t, st, webtest.Options{Screens: []web.Screen{activity.Register, status.Register}})}
}

func (f *fixture) namespace(by store.Actor, parent, name string) *store.Namespace {
	f.t.Helper()
	ns, err := store.Put(f.t.Context(), f.st, by, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}}, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return ns
}

// route creates a route, or updates it when r is one read back.
func (f *fixture) route(by store.Actor, r *store.Route) *store.Route {
	f.t.Helper()
	out, err := store.Put(f.t.Context(), f.st, by, r, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func newRoute(ns, name, to string) *store.Route {
	return &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
		Spec: &configpb.Route{From: "https://" + name + ".example.com", To: []string{to}}}
}

func (f *fixture) policy(by store.Actor, ns, name string) *store.Policy {
	f.t.Helper()
	p, err := store.Put(f.t.Context(), f.st, by, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name},
		PPL: "allow:\n  or:\n    - email:\n        is: user@example.com\n"}, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// entries are the ids of an entity's entries, oldest first.
func (f *fixture) entries(id string) []int64 {
	f.t.Helper()
	page, err := f.st.Activity(f.t.Context(), store.ActivityQuery{EntityID: id, Ascending: true})
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]int64, len(page.Entries))
	for i, e := range page.Entries {
		out[i] = e.ID
	}
	return out
}

// rows are the texts of the entity column of the list, one per entry shown.
func rows(r *webtest.Response) []string {
	var out []string
	for _, s := range r.Find("#results tbody tr td:nth-child(5) a").EachIter() {
		// The link's text for screen readers ends with the entry number.
		out = append(out, s.Contents().Not(".visually-hidden").Text())
	}
	return out
}
