package settings_test

import (
	"net/url"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/settings"
	"github.com/pomerium-console/pomerium-console/server/web/status"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// Secrets of the seeded settings, which no page may show.
const (
	sharedSecret = "c2hhcmVkLXNlY3JldC1uZXZlci1zaG93bg=="
	cookieSecret = "Y29va2llLXNlY3JldC1uZXZlci1zaG93bg=="
	clientSecret = "idp-client-secret-never-shown"
)

// fixture is a console whose settings hold secrets and a few values.
type fixture struct {
	t  *testing.T
	st store.Store
	e  *webtest.Env
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := webtest.Embedded(t)
	f := &fixture{t: t, st: st, e: webtest.New(t, st, webtest.Options{Screens: []web.Screen{settings.Register, status.Register}})}
	_, err := store.Put(t.Context(), st, store.Actor{Subject: "seed", Origin: store.OriginAPI}, &store.Settings{
		ObjectMeta: store.ObjectMeta{ID: store.SettingsID},
		Spec: &configpb.Settings{
			LogLevel: new("debug"), SharedSecret: new(sharedSecret), CookieSecret: new(cookieSecret),
			IdpClientSecret: new(clientSecret), IdpClientId: new("console"), CookieName: new("_pomerium"),
			TimeoutRead: durationpb.New(30 * time.Second), AuthenticateServiceUrl: new("https://authenticate.example.com"),
		},
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// stored reads the settings from the store.
func (f *fixture) stored() *store.Settings {
	f.t.Helper()
	s, err := store.Get[*store.Settings](f.t.Context(), f.st, store.SettingsID)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// formOf is what a browser would submit from the page's settings form:
// every named input, select and textarea with its value, checkboxes only
// when ticked. It fails the test when the page has no such form.
func formOf(t *testing.T, page *webtest.Response) url.Values {
	t.Helper()
	form := page.Find(`form[method="post"][action^="/settings"]`)
	if form.Length() != 1 {
		t.Fatalf("no settings form on the page:\n%s", page.Text())
	}
	out := url.Values{}
	for _, in := range form.Find("input[name]").EachIter() {
		name, _ := in.Attr("name")
		typ, _ := in.Attr("type")
		if _, checked := in.Attr("checked"); typ == "checkbox" && !checked {
			continue
		}
		v, _ := in.Attr("value")
		out.Add(name, v)
	}
	for _, sel := range form.Find("select[name]").EachIter() {
		name, _ := sel.Attr("name")
		v, _ := sel.Find("option[selected]").Attr("value")
		out.Set(name, v)
	}
	for _, ta := range form.Find("textarea[name]").EachIter() {
		name, _ := ta.Attr("name")
		out.Set(name, ta.Text())
	}
	return out
}
