package clusters_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func TestAddRefusalsShowAtTheirInputAndWriteNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	if page := admin.Get("/clusters/new"); page.Status != http.StatusOK || page.Find("form#cluster-form, form[action=\"/clusters/new\"]").Length() != 1 {
		t.Fatalf("add page: status %d: %s", page.Status, page.Find("main").Text())
	}
	short := "c2hvcnQ=" // "short": 5 bytes
	f.secrets = append(f.secrets, short)
	for _, c := range []struct {
		name, field, want string
		change            func(url.Values)
	}{
		{"not base64", "shared_secret", "is not base64", func(v url.Values) { v.Set("shared_secret", "not base64!") }},
		{"short secret", "shared_secret", "decodes to 5 bytes, want 32", func(v url.Values) { v.Set("shared_secret", short) }},
		{"no secret", "shared_secret", "is required", func(v url.Values) { v.Del("shared_secret") }},
		{"default name", "name", "is the name of the default cluster", func(v url.Values) { v.Set("name", "Default") }},
		{"bad URL", "databroker_service_url", "the scheme must be http or https", func(v url.Values) { v.Set("databroker_service_url", "ftp://db.example.com") }},
		{"bad CA", "certificate_authority", "", func(v url.Values) { v.Set("certificate_authority", "not PEM") }},
	} {
		form := f.addForm("east")
		c.change(form)
		res := admin.Post("/clusters/new", form)
		if res.Status != http.StatusBadRequest {
			t.Fatalf("%s: status %d: %s", c.name, res.Status, res.Find("main").Text())
		}
		msg := res.Find("#" + c.field + "-error").Text()
		if msg == "" || !strings.Contains(msg, c.want) {
			t.Errorf("%s: #%s-error says %q, want %q; page:\n%s", c.name, c.field, msg, c.want, res.Find("main").Text())
		}
		if res.Find("#"+c.field).AttrOr("aria-invalid", "") != "true" {
			t.Errorf("%s: the refused input is not marked invalid", c.name)
		}
		if got := res.Find("#name").AttrOr("value", ""); got != form.Get("name") {
			t.Errorf("%s: name kept as %q", c.name, got)
		}
		if got := res.Find("#databroker_service_url").AttrOr("value", ""); got != form.Get("databroker_service_url") {
			t.Errorf("%s: URL kept as %q", c.name, got)
		}
		if got := res.Find("#shared_secret").AttrOr("value", ""); got != "" {
			t.Errorf("%s: the secret input holds %q", c.name, got)
		}
	}
	if got := f.stored(); len(got) != 0 {
		t.Fatalf("refused forms added %v", got)
	}
}

func TestAddStoresTheDecodedSecretAndTheNamespace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.mkns(global, "team")
	admin := f.admin()
	form := f.addForm("east")
	form.Set("parent_namespace_id", team)
	form.Set("insecure_skip_verify", "true")
	form.Set("override_certificate_name", "databroker.internal")
	res := admin.Post("/clusters/new", form)
	if res.Status != http.StatusSeeOther || res.Location() != "/clusters" {
		t.Fatalf("add: status %d, location %q: %s", res.Status, res.Location(), res.Find("main").Text())
	}
	if got := admin.Follow(res).Find("#notice").Text(); !strings.Contains(got, `Cluster "east" added`) {
		t.Errorf("notice %q", got)
	}
	cl := f.stored()["east"]
	if cl == nil || !bytes.Equal(cl.SharedSecret, f.secret) || cl.DatabrokerServiceURL != f.url {
		t.Fatalf("stored cluster: %+v", cl)
	}
	if cl.InsecureSkipVerify == nil || !*cl.InsecureSkipVerify || cl.OverrideCertificateName == nil || *cl.OverrideCertificateName != "databroker.internal" ||
		cl.CertificateAuthority != nil || cl.CertificateAuthorityFile != nil {
		t.Errorf("TLS options stored: %+v", cl)
	}
	ns, err := store.Get[*store.Namespace](t.Context(), f.st, cl.ID)
	if err != nil || !ns.Cluster || ns.NamespaceID != team || ns.Name != "east" {
		t.Fatalf("the cluster's namespace: %+v, %v", ns, err)
	}
	detail := admin.Get("/clusters/" + cl.ID)
	if text := detail.Find("main").Text(); !strings.Contains(text, "Global / team / east") || !strings.Contains(text, "stored (never shown)") {
		t.Errorf("detail page:\n%s", text)
	}
}

func TestTestConnectionSavesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	form := f.addForm("east")
	form.Set("action", "test")
	res := admin.Post("/clusters/new", form)
	if res.Status != http.StatusOK {
		t.Fatalf("test: status %d: %s", res.Status, res.Find("main").Text())
	}
	if got := res.Find("#test-result").Text(); !strings.Contains(got, "answered") || !strings.Contains(got, f.url) {
		t.Errorf("success says %q", got)
	}
	if got := res.Find("#shared_secret").AttrOr("value", ""); got != "" {
		t.Errorf("the secret input holds %q after a test", got)
	}
	if got := res.Find("#shared_secret-hint").Text(); !strings.Contains(got, "paste it again") {
		t.Errorf("the form does not say the secret must be pasted again: %q", got)
	}
	if got := res.Find("#name").AttrOr("value", ""); got != "east" {
		t.Errorf("name kept as %q", got)
	}

	form.Set("shared_secret", f.otherSecret())
	res = admin.Post("/clusters/new", form)
	if res.Status != http.StatusBadGateway {
		t.Fatalf("test with a wrong secret: status %d: %s", res.Status, res.Find("main").Text())
	}
	if got := res.Find("#databroker_service_url-error").Text(); !strings.Contains(got, "did not answer") {
		t.Errorf("failure at the URL says %q; page:\n%s", got, res.Find("main").Text())
	}
	if res.Find("#test-result").Length() != 0 || !strings.Contains(res.Find("#page-error").Text(), "test failed") {
		t.Errorf("a failed test reads as a success:\n%s", res.Find("main").Text())
	}
	if got := f.stored(); len(got) != 0 {
		t.Fatalf("testing added %v", got)
	}
}

func TestEditKeepsTheStoredSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cl := f.add("east", "")
	admin := f.admin()
	page := admin.Get("/clusters/" + cl.ID)
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := page.Find("#shared_secret-hint").Text(); !strings.Contains(got, "Stored; leave empty to keep it") {
		t.Errorf("the secret's hint says %q", got)
	}
	if got := page.Find("#shared_secret").AttrOr("value", "?"); got != "" {
		t.Errorf("the secret input holds %q", got)
	}
	form := url.Values{}
	for _, k := range []string{"name", "databroker_service_url", "expected_version"} {
		form.Set(k, page.Find(`form[action="/clusters/`+cl.ID+`"] [name="`+k+`"]`).AttrOr("value", ""))
	}
	if form.Get("expected_version") != strconv.FormatInt(cl.Version, 10) {
		t.Fatalf("expected_version %q, want %d", form.Get("expected_version"), cl.Version)
	}

	// Testing with no secret typed uses the stored one.
	form.Set("action", "test")
	if res := admin.Post("/clusters/"+cl.ID, form); res.Status != http.StatusOK || res.Find("#test-result").Length() != 1 {
		t.Fatalf("test with the stored secret: status %d: %s", res.Status, res.Find("main").Text())
	}

	form.Set("action", "save")
	form.Set("name", "east-1")
	res := admin.Post("/clusters/"+cl.ID, form)
	if res.Status != http.StatusSeeOther || res.Location() != "/clusters/"+cl.ID {
		t.Fatalf("save: status %d, location %q: %s", res.Status, res.Location(), res.Find("main").Text())
	}
	got := f.stored()["east-1"]
	if got == nil || !bytes.Equal(got.SharedSecret, f.secret) {
		t.Fatalf("after the save: %+v", f.stored())
	}
	if ns, err := store.Get[*store.Namespace](t.Context(), f.st, cl.ID); err != nil || ns.Name != "east-1" {
		t.Errorf("the namespace was not renamed with the cluster: %+v, %v", ns, err)
	}

	// The version read before the save is stale now.
	form.Set("name", "east-2")
	res = admin.Post("/clusters/"+cl.ID, form)
	if res.Status != http.StatusConflict || !strings.Contains(res.Find("#form-error").Text(), "someone changed this cluster") {
		t.Fatalf("stale save: status %d: %s", res.Status, res.Find("main").Text())
	}
	if got := res.Find(`input[name="expected_version"]`).AttrOr("value", ""); got != strconv.FormatInt(f.stored()["east-1"].Version, 10) {
		t.Errorf("the refused form expects version %s, want the current one", got)
	}
	if res.Find("#name").AttrOr("value", "") != "east-2" {
		t.Errorf("the refused form lost the name typed")
	}
	if f.stored()["east-2"] != nil {
		t.Errorf("a stale save was written")
	}
}
