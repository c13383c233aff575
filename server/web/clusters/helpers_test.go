package clusters_test

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/clusters"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

const global = store.GlobalNamespaceID

// defaultURL is the default cluster's databroker as the configuration
// names it.
const defaultURL = "https://databroker.default.example.com:5443"

// setupActor writes the fixtures of a test: not a change a test checks.
var setupActor = store.Actor{Subject: "test", Origin: store.OriginAPI}

// fixture is a console with the clusters screen, and a databroker a
// cluster can reach.
type fixture struct {
	t  *testing.T
	e  *webtest.Env
	st store.Store
	// url and secret reach the databroker; b64 is the secret as a form
	// takes it, which no page may ever show.
	url    string
	secret []byte
	// urls are the databrokers of the clusters add made, by id.
	urls map[string]string
	b64  string
	// secrets are every base64 secret the test sent, none of which any
	// response may hold.
	secrets []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := webtest.Embedded(t)
	e := webtest.New(t, st, webtest.Options{Screens: []web.Screen{clusters.Register}, DefaultClusterURL: defaultURL})
	u, secret := webtest.DatabrokerServer(t)
	b64 := base64.StdEncoding.EncodeToString(secret)
	return &fixture{t: t, e: e, st: st, url: u, secret: secret, urls: map[string]string{}, b64: b64, secrets: []string{b64}}
}

// otherSecret is a valid secret that the databroker does not take.
func (f *fixture) otherSecret() string {
	s := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 32)))
	f.secrets = append(f.secrets, s)
	return s
}

// browser is a webtest browser that fails the test when a response holds
// a secret the test sent.
type browser struct {
	*webtest.Browser
	f *fixture
}

func (f *fixture) admin() browser {
	b := browser{f.e.Recovery(""), f}
	b.Get("/clusters") // a page of the signed-in session carries its CSRF token
	return b
}

func (f *fixture) user(email string) browser {
	b := browser{f.e.User(email), f}
	b.Get("/clusters")
	return b
}

func (b browser) check(res *webtest.Response) *webtest.Response {
	b.f.t.Helper()
	for _, s := range b.f.secrets {
		if strings.Contains(res.Text(), s) || strings.Contains(res.Location(), s) {
			b.f.t.Errorf("a response shows a shared secret (%d):\n%s", res.Status, res.Text())
		}
	}
	return res
}

func (b browser) Get(path string) *webtest.Response {
	b.f.t.Helper()
	return b.check(b.Browser.Get(path))
}

func (b browser) Post(path string, form url.Values) *webtest.Response {
	b.f.t.Helper()
	return b.check(b.Browser.Post(path, form))
}

func (b browser) Follow(res *webtest.Response) *webtest.Response {
	b.f.t.Helper()
	return b.check(b.Browser.Follow(res))
}

// add adds a cluster through the use cases, to set up a test: on an
// embedded databroker of its own with the fixture's secret (no two clusters
// may share one), whose URL urls keeps.
func (f *fixture) add(name, parent string) *manage.Cluster {
	f.t.Helper()
	c, err := f.e.App.System(f.t.Context(), "test", store.OriginAPI)
	if err != nil {
		f.t.Fatal(err)
	}
	u := webtest.DatabrokerServerWith(f.t, f.secret)
	cl, err := f.e.App.AddCluster(f.t.Context(), c, manage.ClusterInput{ParentNamespaceID: parent, Cluster: &store.Cluster{
		ObjectMeta: store.ObjectMeta{Name: name}, DatabrokerServiceURL: u, SharedSecret: f.secret,
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	f.urls[cl.ID] = u
	return cl
}

// stored reads the stored clusters by name, with their secrets.
func (f *fixture) stored() map[string]*store.Cluster {
	f.t.Helper()
	res, err := f.st.List(f.t.Context(), store.KindCluster, store.ListQuery{})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]*store.Cluster{}
	for _, o := range res.Objects {
		cl, err := store.Get[*store.Cluster](f.t.Context(), f.st, o.GetObjectMeta().ID, store.WithSecrets())
		if err != nil {
			f.t.Fatal(err)
		}
		out[cl.Name] = cl
	}
	return out
}

// addForm is the add form filled to reach the fixture's databroker.
func (f *fixture) addForm(name string) url.Values {
	return url.Values{"name": {name}, "databroker_service_url": {f.url}, "shared_secret": {f.b64}, "parent_namespace_id": {global}}
}

// mkns creates a namespace for a test's setup and returns its id.
func (f *fixture) mkns(parent, name string) string {
	f.t.Helper()
	ns, err := store.Put(f.t.Context(), f.st, setupActor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}}, 0)
	if err != nil {
		f.t.Fatalf("create namespace %q: %v", name, err)
	}
	return ns.ID
}
