package certificates_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/server/web/certificates"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

const global = store.GlobalNamespaceID

func TestUploadFilesShowsParsedDetails(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	admin := e.Recovery("")
	p := selfSigned(t, "app.example.com", time.Now().Add(200*24*time.Hour))
	if page := admin.Get("/certificates/new"); page.Status != http.StatusOK {
		t.Fatalf("upload page: status %d: %s", page.Status, page.Text())
	}
	res := admin.PostMultipart("/certificates/new", url.Values{"name": {"app"}, "namespace_id": {global}},
		map[string]string{"certificate_file": p.Cert, "private_key_file": p.Key})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("upload: status %d: %s", res.Status, res.Find("main").Text())
	}
	kp, ok := keyPairs(t, st)["app"]
	if !ok || strings.TrimSpace(string(kp.Certificate)) != strings.TrimSpace(p.Cert) || len(kp.PrivateKey) == 0 && !kp.HasPrivateKey {
		t.Fatalf("stored key pairs: %v", keyPairs(t, st))
	}
	if res.Location() != "/certificates/"+kp.ID {
		t.Fatalf("redirect to %q, want the certificate's page", res.Location())
	}
	page := admin.Follow(res)
	if page.Status != http.StatusOK {
		t.Fatalf("detail: status %d: %s", page.Status, page.Text())
	}
	text := page.Find("main").Text()
	for _, want := range []string{
		"uploaded", "CN=app.example.com, O=Example Org", "alt.app.example.com", "192.0.2.7", "ops@app.example.com",
		"spiffe://example.org/app", "digital signature", "TLS server authentication", "valid", "stored (never shown)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("detail page lacks %q:\n%s", want, text)
		}
	}
	if got := page.Find("#certificate-pem").Text(); strings.TrimSpace(got) != strings.TrimSpace(p.Cert) {
		t.Errorf("certificate PEM shown:\n%s", got)
	}
	if strings.Contains(page.Text(), "PRIVATE KEY") || strings.Contains(page.Text(), strings.Split(p.Key, "\n")[1]) {
		t.Error("the detail page shows the private key")
	}
	if page.Find(`.expiry .expiry-ok`).Length() != 1 {
		t.Errorf("no expiry-ok on the detail page")
	}
}

func TestListShowsExpiryClassesAndLabels(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	now := time.Now()
	put(t, st, global, "expired", selfSigned(t, "old.example.com", now.Add(-time.Hour)))
	put(t, st, global, "soon", selfSigned(t, "soon.example.com", now.Add(10*24*time.Hour)))
	put(t, st, global, "fine", selfSigned(t, "fine.example.com", now.Add(90*24*time.Hour)))
	page := e.Recovery("").Get("/certificates")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	for name, want := range map[string]struct{ class, label string }{
		"expired": {"expiry-expired", "expired"}, "soon": {"expiry-soon", "expires soon (in 9 days)"}, "fine": {"expiry-ok", "valid"},
	} {
		row := page.Find("tbody tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.TrimSpace(s.Find("td a").First().Text()) == name
		})
		if row.Length() != 1 {
			t.Fatalf("no row for %s:\n%s", name, page.Find("main").Text())
		}
		cell := row.Find("td.expiry ." + want.class)
		if cell.Length() != 1 || strings.TrimSpace(cell.Find(".expiry-label").Text()) != want.label {
			t.Errorf("%s: expiry cell %q, want class %s and label %q", name, row.Find("td.expiry").Text(), want.class, want.label)
		}
		if !strings.Contains(row.Text(), name+".example.com") && name != "expired" {
			t.Errorf("%s: row lacks its subject: %s", name, row.Text())
		}
	}
	if got := certificates.ExpiryAt(now.Add(time.Hour), now).Label; got != "expires soon (within a day)" {
		t.Errorf("an hour left: %q", got)
	}
}

func TestListFiltersAndPagesAcrossNamespaces(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	child, err := store.Put(t.Context(), st, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: global, Name: "team"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(90 * 24 * time.Hour)
	put(t, st, global, "alpha", selfSigned(t, "a.example.com", later))
	put(t, st, global, "beta", selfSigned(t, "b.example.com", later))
	put(t, st, child.ID, "gamma", selfSigned(t, "c.example.com", later))
	admin := e.Recovery("")
	names := func(page *webtest.Response) string {
		var out []string
		page.Find("tbody tr td:first-child a").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return strings.Join(out, ",")
	}
	for path, want := range map[string]string{
		"/certificates":                                "alpha,beta,gamma",
		"/certificates?namespace=" + child.ID:          "gamma",
		"/certificates?q=ET":                           "beta",
		"/certificates?limit=2":                        "alpha,beta",
		"/certificates?limit=2&offset=2":               "gamma",
		"/certificates?limit=1&offset=1":               "beta",
		"/certificates?namespace=" + global + "&q=zzz": "",
	} {
		page := admin.Get(path)
		if page.Status != http.StatusOK {
			t.Fatalf("%s: status %d", path, page.Status)
		}
		if got := names(page); got != want {
			t.Errorf("%s: rows %q, want %q", path, got, want)
		}
	}
	if got := admin.Get("/certificates?limit=1&offset=1").Find(".pager").Text(); !strings.Contains(got, "2–2 of 3") {
		t.Errorf("pager: %q", got)
	}
}

func TestUploadRefusalsKeepInputAndWriteNothing(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	admin := e.Recovery("")
	admin.Get("/certificates/new") // a page of the signed-in session carries its CSRF token
	p := selfSigned(t, "app.example.com", time.Now().Add(90*24*time.Hour))
	other := selfSigned(t, "other.example.com", time.Now().Add(90*24*time.Hour))
	for _, c := range []struct {
		name, field, want string
		form              url.Values
	}{
		{"not PEM", "#certificate-error", "certificate: is not PEM",
			url.Values{"name": {"app"}, "namespace_id": {global}, "certificate": {"hello"}}},
		{"no certificate block", "#certificate-error", "certificate: holds no PEM CERTIFICATE block",
			url.Values{"name": {"app"}, "namespace_id": {global}, "certificate": {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}}},
		{"mismatched key", "#private_key-error", "key: does not match the public key",
			url.Values{"name": {"app"}, "namespace_id": {global}, "certificate": {p.Cert}, "private_key": {other.Key}}},
		{"no name", "#name-error", "required",
			url.Values{"namespace_id": {global}, "certificate": {p.Cert}, "private_key": {p.Key}}},
	} {
		res := admin.Post("/certificates/new", c.form)
		if res.Status != http.StatusBadRequest {
			t.Fatalf("%s: status %d: %s", c.name, res.Status, res.Find("main").Text())
		}
		if got := res.Find(c.field).Text(); !strings.Contains(got, c.want) {
			t.Errorf("%s: %s says %q, want %q; page:\n%s", c.name, c.field, got, c.want, res.Find("main").Text())
		}
		if got, _ := res.Find("#name").Attr("value"); got != c.form.Get("name") {
			t.Errorf("%s: name field %q, want the value sent", c.name, got)
		}
		if got := res.Find("#certificate").Text(); strings.TrimSpace(got) != strings.TrimSpace(c.form.Get("certificate")) {
			t.Errorf("%s: certificate field %q, want the value sent", c.name, got)
		}
		if strings.Contains(res.Text(), "PRIVATE KEY") {
			t.Errorf("%s: the refused form sends the private key back", c.name)
		}
	}
	if got := keyPairs(t, st); len(got) != 0 {
		t.Fatalf("refused uploads wrote %v", got)
	}
}

func TestManagerCannotUploadOrDelete(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	kp := put(t, st, global, "app", selfSigned(t, "app.example.com", time.Now().Add(90*24*time.Hour)))
	e.Grant(store.RoleManager, global, store.SubjectUser, "manager@example.com")
	m := e.User("manager@example.com")
	list := m.Get("/certificates")
	if list.Status != http.StatusOK || list.Find(`a[href^="/certificates/new"]`).Length() != 0 {
		t.Fatalf("manager's list: status %d, upload link shown: %d", list.Status, list.Find(`a[href^="/certificates/new"]`).Length())
	}
	if got := m.Get("/certificates/new").Status; got != http.StatusForbidden {
		t.Errorf("manager's upload page: status %d, want 403", got)
	}
	p := selfSigned(t, "new.example.com", time.Now().Add(90*24*time.Hour))
	res := m.Post("/certificates/new", url.Values{"name": {"new"}, "namespace_id": {global}, "certificate": {p.Cert}, "private_key": {p.Key}})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Find("main").Text(), "needs admin") {
		t.Errorf("manager's upload: status %d, want 403 saying admin is needed: %s", res.Status, res.Find("main").Text())
	}
	detail := m.Get("/certificates/" + kp.ID)
	if detail.Status != http.StatusOK || detail.Find(`form[action$="/delete"]`).Length() != 0 {
		t.Errorf("manager's detail page: status %d, delete form shown", detail.Status)
	}
	if got := m.Post("/certificates/"+kp.ID+"/delete", url.Values{}).Status; got != http.StatusForbidden {
		t.Errorf("manager's delete: status %d, want 403", got)
	}
	if got := keyPairs(t, st); len(got) != 1 || got["app"] == nil {
		t.Fatalf("refused actions changed the key pairs: %v", got)
	}
}

func TestMissingCSRFTokenIsRefused(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	kp := put(t, st, global, "app", selfSigned(t, "app.example.com", time.Now().Add(90*24*time.Hour)))
	admin := e.Recovery("")
	admin.Get("/certificates") // a page of the signed-in session carries its CSRF token
	p := selfSigned(t, "new.example.com", time.Now().Add(90*24*time.Hour))
	if got := admin.PostMultipart("/certificates/new", url.Values{"csrf_token": {""}, "name": {"new"}, "namespace_id": {global}},
		map[string]string{"certificate_file": p.Cert, "private_key_file": p.Key}).Status; got != http.StatusForbidden {
		t.Errorf("upload without CSRF token: status %d, want 403", got)
	}
	if got := admin.Post("/certificates/"+kp.ID+"/delete", url.Values{"csrf_token": {"forged"}}).Status; got != http.StatusForbidden {
		t.Errorf("delete with a wrong CSRF token: status %d, want 403", got)
	}
	if got := keyPairs(t, st); len(got) != 1 || got["app"] == nil {
		t.Fatalf("refused requests changed the key pairs: %v", got)
	}
}

func TestDeleteInUseIsRefusedThenDeletes(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	kp := put(t, st, global, "ca", selfSigned(t, "ca.example.com", time.Now().Add(90*24*time.Hour)))
	route, err := store.Put(t.Context(), st, actor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: global, Name: "app"},
		Spec: &configpb.Route{From: "https://app.example.com", To: []string{"https://app.internal"}, TlsCustomCaKeyPairId: proto.String(kp.ID)}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.Recovery("")
	admin.Get("/certificates/" + kp.ID) // a page of the signed-in session carries its CSRF token
	res := admin.Post("/certificates/"+kp.ID+"/delete", url.Values{})
	if res.Status != http.StatusConflict {
		t.Fatalf("delete in use: status %d: %s", res.Status, res.Find("main").Text())
	}
	if got := res.Find("#page-error").Text(); !strings.Contains(got, "is used by route "+route.ID) {
		t.Errorf("refusal says %q, want the route that uses it", got)
	}
	if keyPairs(t, st)["ca"] == nil {
		t.Fatal("the key pair in use was deleted")
	}
	if err := store.Delete(t.Context(), st, actor, store.DeleteOp{Kind: store.KindRoute, ID: route.ID}); err != nil {
		t.Fatal(err)
	}
	res = admin.Post("/certificates/"+kp.ID+"/delete", url.Values{})
	if res.Status != http.StatusSeeOther || res.Location() != "/certificates" {
		t.Fatalf("delete: status %d to %q: %s", res.Status, res.Location(), res.Find("main").Text())
	}
	if got := admin.Follow(res).Find(".notice").Text(); !strings.Contains(got, `"ca" deleted`) {
		t.Errorf("notice after delete: %q", got)
	}
	if got := keyPairs(t, st); len(got) != 0 {
		t.Fatalf("key pairs after delete: %v", got)
	}
}
