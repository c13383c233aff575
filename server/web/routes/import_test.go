package routes_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

const goodConfig = `authenticate_service_url: https://authenticate.example.com
routes:
  - from: https://one.example.com
    to: https://one.internal
    allowed_users: [alice@example.com]
  - name: two
    from: https://two.example.com
    to: [https://two-a.internal, https://two-b.internal]
`

// previewRows maps each route row of a preview, by its place in the file,
// to the row's text.
func previewRows(res *webtest.Response) map[string]string {
	out := map[string]string{}
	res.Find("#preview table").First().Find("tbody tr").Each(func(_ int, tr *goquery.Selection) {
		out[tr.Find("th code").Text()] = strings.Join(strings.Fields(tr.Text()), " ")
	})
	return out
}

// applyForm is the form a preview offers to apply it, as a browser would
// send it back.
func applyForm(t *testing.T, res *webtest.Response) url.Values {
	t.Helper()
	form := res.Find(`form button[value=apply]`).Closest("form")
	if form.Length() == 0 {
		t.Fatalf("the preview offers no apply:\n%s", mainText(res))
	}
	values := url.Values{"action": {"apply"}}
	form.Find("input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		value, _ := in.Attr("value")
		values.Set(name, value)
	})
	return values
}

func TestImportPreviewWritesNothingAndApplyWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Apps")
	b := f.user("manager@example.com", store.RoleManager, ns)
	form := b.Get("/routes/import?namespace=" + ns)
	wantStatus(t, form, http.StatusOK)
	if v, _ := form.Find(`#import-namespace option[selected]`).Attr("value"); v != ns {
		t.Errorf("the form preselects %q, want %q", v, ns)
	}
	before := f.version()

	// The file comes as an upload, as the form's file input sends it.
	res := b.PostMultipart("/routes/import", url.Values{"action": {"preview"}, "namespace": {ns}}, map[string]string{"file": goodConfig})
	wantStatus(t, res, http.StatusOK)
	rows := previewRows(res)
	if !strings.Contains(rows["routes[0]"], "one.example.com") || !strings.Contains(rows["routes[0]"], "create") ||
		!strings.Contains(rows["routes[1]"], "two") || !strings.Contains(rows["routes[1]"], "https://two-b.internal") {
		t.Errorf("preview rows %v", rows)
	}
	wantText(t, res, "one.example.com access", "authenticate_service_url", "Nothing has been written yet")
	if f.version() != before {
		t.Fatal("a preview wrote to the store")
	}

	apply := applyForm(t, res)
	if apply.Get("content") != goodConfig {
		t.Fatalf("the apply form carries %q", apply.Get("content"))
	}
	res = b.Post("/routes/import", apply)
	wantStatus(t, res, http.StatusSeeOther)
	if got := f.routeNames(ns); !slices.Equal(got, []string{"one.example.com", "two"}) {
		t.Fatalf("imported routes %v", got)
	}
	rt, err := store.Get[*store.Route](t.Context(), f.st, routeID(t, f, ns, "two"))
	if err != nil {
		t.Fatal(err)
	}
	if rt.Origin != store.OriginUI {
		t.Errorf("imported route's origin %q, want ui", rt.Origin)
	}
	wantText(t, b.Follow(res), "Imported 2 routes into Global / Apps")

	// The same file again changes nothing and offers nothing to apply.
	res = b.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {ns}, "content": {goodConfig}})
	wantStatus(t, res, http.StatusOK)
	if rows := previewRows(res); !strings.Contains(rows["routes[1]"], "unchanged") {
		t.Errorf("second preview %v", rows)
	}
	if res.Find(`button[value=apply]`).Length() != 0 {
		t.Error("a preview with nothing to change offers to apply")
	}
}

func routeID(t *testing.T, f *fixture, ns, name string) string {
	t.Helper()
	res, err := f.st.List(t.Context(), store.KindRoute, store.ListQuery{NamespaceID: ns, Query: name})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects {
		if o.GetObjectMeta().Name == name {
			return o.GetObjectMeta().ID
		}
	}
	t.Fatalf("no route %q", name)
	return ""
}

func TestImportReportsEveryBrokenRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.e.Recovery("")
	before := f.version()

	res := b.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {store.GlobalNamespaceID}, "content": {"routes: [\n  - from: x\n"}})
	wantStatus(t, res, http.StatusBadRequest)
	if msg := res.Find("#import-content-error").Text(); !strings.Contains(msg, "is not valid YAML") {
		t.Errorf("bad YAML: content error %q", msg)
	}
	if got := res.Find("#import-content").Text(); got != "routes: [\n  - from: x\n" {
		t.Errorf("the form lost the content: %q", got)
	}

	const broken = `routes:
  - from: https://ok.example.com
    to: https://ok.internal
  - from: https://slow.example.com
    to: https://slow.internal
    timeout: 5 minutes
  - from: https://ok2.example.com
    to: https://ok2.internal
  - from: not a url
    to: https://x.internal
  - from: https://mystery.example.com
    to: https://mystery.internal
    frobnicate: true
`
	res = b.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {store.GlobalNamespaceID}, "content": {broken}})
	wantStatus(t, res, http.StatusBadRequest)
	rows := previewRows(res)
	for src, want := range map[string][]string{
		"routes[0]": {"ok.example.com", "create"},
		"routes[1]": {"refused", "timeout", `"5 minutes" is not a duration`},
		"routes[2]": {"ok2.example.com", "create"},
		"routes[3]": {"refused", "from", "has no scheme"},
		"routes[4]": {"refused", "frobnicate", "unknown route key"},
	} {
		for _, w := range want {
			if !strings.Contains(rows[src], w) {
				t.Errorf("row %s lacks %q: %s", src, w, rows[src])
			}
		}
	}
	wantText(t, res, "3 routes are refused")
	if res.Find(`button[value=apply]`).Length() != 0 {
		t.Error("a preview with refused routes offers to apply")
	}
	// An apply of the broken file is refused the same way.
	res = b.Post("/routes/import", url.Values{"action": {"apply"}, "namespace": {store.GlobalNamespaceID}, "content": {broken}})
	wantStatus(t, res, http.StatusBadRequest)
	if f.version() != before {
		t.Fatal("a refused import wrote to the store")
	}
}

func TestImportRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Apps")
	viewer := f.user("viewer@example.com", store.RoleViewer, ns)
	manager := f.user("manager@example.com", store.RoleManager, ns)
	admin := f.e.Recovery("")
	withCA := goodConfig + "    tls_custom_ca: " + base64.StdEncoding.EncodeToString(caPEM(t, "Upstream CA")) + "\n"
	other := f.namespace(store.GlobalNamespaceID, "Other")
	f.e.Grant(store.RoleManager, other, store.SubjectUser, "manager@example.com")
	// The manager sees Global, so that importing there is refused for the
	// role (a namespace not seen is not found: TestHiddenNamespacesAreNotFound).
	f.e.Grant(store.RoleViewer, store.GlobalNamespaceID, store.SubjectUser, "manager@example.com")
	// The policy an import would write for the file's first route exists
	// in Other, and an admin enforces it there.
	if _, err := store.Put(t.Context(), f.st, testActor, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: other, Name: "one.example.com access"},
		PPL: "allow:\n  or:\n    - accept: true\n", Enforced: true}, 0); err != nil {
		t.Fatal(err)
	}
	before := f.version()

	res := viewer.Get("/routes/import")
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "needs the manager role")
	res = viewer.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {ns}, "content": {goodConfig}})
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "needs the manager role")
	res = viewer.Post("/routes/import", url.Values{"action": {"apply"}, "namespace": {ns}, "content": {goodConfig}})
	wantStatus(t, res, http.StatusForbidden)

	// A manager may import routes but not the key pair inline TLS
	// material becomes: that is an admin's.
	res = manager.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {ns}, "content": {withCA}})
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, "only an admin", "key pair", "Upstream CA")
	if res.Find(`button[value=apply]`).Length() != 0 {
		t.Error("the manager is offered to apply")
	}
	res = manager.Post("/routes/import", url.Values{"action": {"apply"}, "namespace": {ns}, "content": {withCA}})
	wantStatus(t, res, http.StatusForbidden)
	res = manager.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {other}, "content": {goodConfig}})
	wantStatus(t, res, http.StatusForbidden)
	wantText(t, res, `policy "one.example.com access" is enforced`)
	res = manager.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {store.GlobalNamespaceID}, "content": {goodConfig}})
	wantStatus(t, res, http.StatusForbidden)
	if msg := res.Find("#import-namespace-error").Text(); !strings.Contains(msg, "importing into namespace Global needs the manager role") {
		t.Errorf("manager's refusal in Global: %q", msg)
	}

	// Without the CSRF token nothing is written, whoever asks.
	res = admin.Post("/routes/import", url.Values{"action": {"apply"}, "namespace": {ns}, "content": {goodConfig}, "csrf_token": {""}})
	wantStatus(t, res, http.StatusForbidden)
	if f.version() != before {
		t.Fatal("a refused import wrote to the store")
	}

	res = admin.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {ns}, "content": {withCA}})
	wantStatus(t, res, http.StatusOK)
	wantStatus(t, admin.Post("/routes/import", applyForm(t, res)), http.StatusSeeOther)
	keyPairs, err := f.st.List(t.Context(), store.KindKeyPair, store.ListQuery{NamespaceID: ns})
	if err != nil {
		t.Fatal(err)
	}
	if keyPairs.TotalCount != 1 {
		t.Fatalf("%d key pairs imported, want 1", keyPairs.TotalCount)
	}
}

func TestImportApplyRefusesAChangedPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Apps")
	b := f.user("manager@example.com", store.RoleManager, ns)
	res := b.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {ns}, "content": {goodConfig}})
	wantStatus(t, res, http.StatusOK)
	apply := applyForm(t, res)

	// Someone adds a route the file names between preview and apply.
	f.route(ns, "two", "https://elsewhere.example.com")
	before := f.version()
	res = b.Post("/routes/import", apply)
	wantStatus(t, res, http.StatusConflict)
	wantText(t, res, "changed since your preview")
	if rows := previewRows(res); !strings.Contains(rows["routes[1]"], "update") {
		t.Errorf("the new preview %v", rows)
	}
	if f.version() != before {
		t.Fatal("a stale apply wrote to the store")
	}
	// The new preview's form applies.
	wantStatus(t, b.Post("/routes/import", applyForm(t, res)), http.StatusSeeOther)

	// A file naming a route Kubernetes manages is refused as a whole.
	f.kubernetesRoute(ns, "kube", "https://kube.example.com", "Ingress default/kube")
	res = b.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {ns}, "content": {"routes:\n  - name: kube\n    from: https://kube.example.com\n    to: https://x.internal\n"}})
	wantStatus(t, res, http.StatusConflict)
	if msg := res.Find("#import-content-error").Text(); !strings.Contains(msg, "managed by Kubernetes") || !strings.Contains(msg, "Ingress default/kube") {
		t.Errorf("Kubernetes clash: %q", msg)
	}
}

// TestImportNamespaceErrorIsTiedToTheSelect: a refused namespace marks the
// select invalid and points it at the message.
func TestImportNamespaceErrorIsTiedToTheSelect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.e.Recovery("").Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {""}, "content": {goodConfig}})
	wantStatus(t, res, http.StatusBadRequest)
	sel := res.Find("select#import-namespace")
	if v, _ := sel.Attr("aria-invalid"); v != "true" {
		t.Errorf("select aria-invalid = %q", v)
	}
	if id, _ := sel.Attr("aria-describedby"); id == "" || res.Find("#"+id).Text() == "" {
		t.Errorf("select aria-describedby %q does not lead to the message", id)
	}
}
