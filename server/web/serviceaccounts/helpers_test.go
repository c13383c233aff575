package serviceaccounts_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/serviceaccounts"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

const global = store.GlobalNamespaceID

// env starts the console with this screen only, so that the tests do not
// depend on the screens beside it.
func env(t *testing.T) (*webtest.Env, store.Store) {
	t.Helper()
	st := webtest.Embedded(t)
	return webtest.New(t, st, webtest.Options{Screens: []web.Screen{serviceaccounts.Register}}), st
}

// admin is a browser signed in as admin of Global that has seen a page of
// its session (and so holds the session's CSRF token).
func admin(e *webtest.Env) *webtest.Browser {
	b := e.Recovery("")
	b.Get("/service-accounts")
	return b
}

// create creates an account through the form and returns its id and the
// token the page showed.
func create(t *testing.T, b *webtest.Browser, form url.Values) (id, token string) {
	t.Helper()
	res := b.Post("/service-accounts/new", form)
	if res.Status != http.StatusCreated {
		t.Fatalf("create: status %d: %s", res.Status, res.Find("main").Text())
	}
	token = strings.TrimSpace(res.Find("code#token").Text())
	href, _ := res.Find(`a[href^="/service-accounts/"]`).First().Attr("href")
	id = strings.TrimPrefix(href, "/service-accounts/")
	if token == "" || id == "" {
		t.Fatalf("created page lacks the token or the account link:\n%s", res.Text())
	}
	return id, token
}

// authenticate presents a token as a program calling the API does.
func authenticate(t *testing.T, e *webtest.Env, token string) (*auth.Principal, error) {
	t.Helper()
	h := http.Header{}
	h.Set(auth.AuthorizationHeader, "Pomerium "+token)
	return e.Auth.Authenticate(t.Context(), h)
}

// accounts lists the stored service accounts.
func accounts(t *testing.T, st store.Store) []*store.ServiceAccount {
	t.Helper()
	got, err := st.List(t.Context(), store.KindServiceAccount, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*store.ServiceAccount, 0, len(got.Objects))
	for _, o := range got.Objects {
		out = append(out, o.(*store.ServiceAccount))
	}
	return out
}
