package routes_test

import (
	"os"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/routes"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

// fixture is one test's console with only this screen mounted, so that
// the tests do not depend on the other screens.
type fixture struct {
	t  *testing.T
	st store.Store
	e  *webtest.Env
}

// newFixture is a console on the embedded store: what the screen does
// depends on the backend nowhere but in the SQL of its reads
// (newPostgresFixture).
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return fixtureOn(t, webtest.Embedded(t))
}

// newPostgresFixture is a console on PostgreSQL, for the tests of what
// runs SQL of each backend's own: the list's search, order and paging, and
// reads of a selection by id.
func newPostgresFixture(t *testing.T) *fixture {
	t.Helper()
	return fixtureOn(t, webtest.Postgres(t, srv))
}

// fixtureOn is a console on st.
func fixtureOn(t *testing.T, st store.Store) *fixture {
	t.Helper()
	e := webtest.New(t, st, webtest.Options{Screens: []web.Screen{routes.Register}})
	return &fixture{t: t, st: st, e: e}
}

var testActor = store.Actor{Subject: "test", Origin: store.OriginAPI}

func (f *fixture) namespace(parent, name string) string {
	f.t.Helper()
	ns, err := store.Put(f.t.Context(), f.st, testActor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}}, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return ns.ID
}

func (f *fixture) route(ns, name, from string, to ...string) *store.Route {
	f.t.Helper()
	if len(to) == 0 {
		to = []string{"https://upstream.internal"}
	}
	return f.put(testActor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}, Spec: &configpb.Route{From: from, To: to}})
}

// kubernetesRoute writes a route as the Kubernetes controller does.
func (f *fixture) kubernetesRoute(ns, name, from, ref string) *store.Route {
	f.t.Helper()
	return f.put(store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes}, &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name, OriginRef: ref},
		Spec:       &configpb.Route{From: from, To: []string{"https://upstream.internal"}},
	})
}

func (f *fixture) put(actor store.Actor, r *store.Route) *store.Route {
	f.t.Helper()
	got, err := store.Put(f.t.Context(), f.st, actor, r, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

func (f *fixture) version() int64 {
	f.t.Helper()
	v, err := f.st.Version(f.t.Context())
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// routeNames lists the names of a namespace's routes, in name order.
func (f *fixture) routeNames(ns string) []string {
	f.t.Helper()
	res, err := f.st.List(f.t.Context(), store.KindRoute, store.ListQuery{NamespaceID: ns})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.GetObjectMeta().Name)
	}
	return out
}

// user is a browser of someone granted role in ns.
func (f *fixture) user(email string, role store.Role, ns string) *webtest.Browser {
	f.e.Grant(role, ns, store.SubjectUser, email)
	return f.e.User(email)
}

func wantStatus(t *testing.T, res *webtest.Response, want int) {
	t.Helper()
	if res.Status != want {
		t.Fatalf("status %d, want %d:\n%s", res.Status, want, mainText(res))
	}
}

func mainText(res *webtest.Response) string {
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		return res.Text()
	}
	return strings.Join(strings.Fields(res.Find("main").Text()), " ")
}

func wantText(t *testing.T, res *webtest.Response, wants ...string) {
	t.Helper()
	text := mainText(res)
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("page lacks %q:\n%s", w, text)
		}
	}
}
