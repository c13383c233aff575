package namespaces_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// env is a console on a fresh store.
func env(t *testing.T) *webtest.Env {
	t.Helper()
	return webtest.New(t, webtest.Embedded(t), webtest.Options{})
}

// admin is a browser signed in with a recovery token for Global. It loads
// a page first: the token the sign-in page carried is not the session's.
func admin(e *webtest.Env) *webtest.Browser {
	b := e.Recovery("")
	b.Get("/namespaces")
	return b
}

// setupActor writes the fixtures of a test: not a change a test checks.
var setupActor = store.Actor{Subject: "test", Origin: store.OriginAPI}

// mkns creates a namespace for a test's setup and returns its id.
func mkns(t *testing.T, st store.Store, parent, name string) string {
	t.Helper()
	ns, err := store.Put(t.Context(), st, setupActor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}}, 0)
	if err != nil {
		t.Fatalf("create namespace %q: %v", name, err)
	}
	return ns.ID
}

// getns reads a namespace, nil when it does not exist.
func getns(t *testing.T, st store.Store, id string) *store.Namespace {
	t.Helper()
	ns, err := store.Get[*store.Namespace](t.Context(), st, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// children lists the names of a namespace's children.
func children(t *testing.T, st store.Store, parent string) []string {
	t.Helper()
	res, err := st.List(t.Context(), store.KindNamespace, store.ListQuery{NamespaceID: parent})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.GetObjectMeta().Name)
	}
	return out
}

// grants lists the permissions on a namespace as "type:subject=role".
func grants(t *testing.T, st store.Store, nsID string) []string {
	t.Helper()
	res, err := st.List(t.Context(), store.KindNamespacePermission, store.ListQuery{NamespaceID: nsID, OrderBy: "created_at"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range res.Objects {
		p := o.(*store.NamespacePermission)
		out = append(out, string(p.SubjectType)+":"+p.SubjectID+"="+string(p.Role))
	}
	return out
}

// grantID is the id of the permission of one subject on a namespace.
func grantID(t *testing.T, st store.Store, nsID, subject string) string {
	t.Helper()
	res, err := st.List(t.Context(), store.KindNamespacePermission, store.ListQuery{NamespaceID: nsID})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects {
		if p := o.(*store.NamespacePermission); p.SubjectID == subject {
			return p.ID
		}
	}
	t.Fatalf("no permission of %s on namespace %s", subject, nsID)
	return ""
}

// form builds url.Values from pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// wantStatus fails the test when a response has another status.
func wantStatus(t *testing.T, r *webtest.Response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d:\n%s", r.Status, want, r.Text())
	}
}

// wantRedirect checks a 303 to location.
func wantRedirect(t *testing.T, r *webtest.Response, location string) {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	if r.Location() != location {
		t.Fatalf("redirect to %q, want %q", r.Location(), location)
	}
}

// postForms are the forms of a page that change something.
func postForms(r *webtest.Response) []string {
	var out []string
	r.Find(`main form[method="post"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("action", ""))
	})
	return out
}

// hasForm reports whether the page has a POST form to action.
func hasForm(r *webtest.Response, action string) bool {
	return r.Find(`main form[method="post"][action="`+action+`"]`).Length() > 0
}

// contains is strings.Contains on a page's main text.
func contains(r *webtest.Response, s string) bool {
	return strings.Contains(r.Find("main").Text(), s)
}
