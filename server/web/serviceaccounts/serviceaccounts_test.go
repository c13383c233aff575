package serviceaccounts_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestCreateShowsTokenOnceAndItAuthenticates(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := admin(e)
	form := b.Get("/service-accounts/new")
	if form.Status != http.StatusOK || form.Find(`select#expires option[selected]`).AttrOr("value", "") != "90d" {
		t.Fatalf("new form: status %d, default expiry %q", form.Status, form.Find(`select#expires option[selected]`).AttrOr("value", ""))
	}
	res := b.Post("/service-accounts/new", url.Values{"description": {"CI deploys"}, "namespace_id": {global}, "expires": {"30d"}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: status %d: %s", res.Status, res.Find("main").Text())
	}
	token := strings.TrimSpace(res.Find("code#token").Text())
	if res.Find(`button[type="button"][data-copy="token"]`).Length() != 1 || !strings.Contains(res.Find("main").Text(), "will not be shown again") {
		t.Errorf("token page lacks the copy button or the warning:\n%s", res.Find("main").Text())
	}
	saved := accounts(t, st)
	if len(saved) != 1 || saved[0].Description != "CI deploys" || saved[0].NamespaceID != global {
		t.Fatalf("stored accounts: %+v", saved)
	}
	sa := saved[0]
	if left := time.Until(sa.ExpiresAt); left < 29*24*time.Hour || left > 30*24*time.Hour {
		t.Errorf("expires in %v, want 30 days", left)
	}
	list := b.Get("/service-accounts")
	if got := list.Find(`tr[data-id="` + sa.ID + `"] td.last-access`).Text(); !strings.Contains(got, "never used") {
		t.Errorf("last access before any use: %q", got)
	}
	p, err := authenticate(t, e, token)
	if err != nil || p.Kind != auth.KindServiceAccount || p.UserID != sa.ID {
		t.Fatalf("the shown token does not authenticate the account: %+v, %v", p, err)
	}
	list = b.Get("/service-accounts")
	if got := list.Find(`tr[data-id="` + sa.ID + `"] td.last-access`).Text(); !strings.Contains(got, "ago") {
		t.Errorf("last access after use: %q", got)
	}
	detail := b.Get("/service-accounts/" + sa.ID)
	if detail.Status != http.StatusOK || !strings.Contains(detail.Find("main").Text(), "CI deploys") {
		t.Fatalf("account page: status %d: %s", detail.Status, detail.Find("main").Text())
	}
	for name, page := range map[string]string{"list": list.Text(), "account": detail.Text(), "form": b.Get("/service-accounts/new").Text()} {
		if strings.Contains(page, token) {
			t.Errorf("the %s page shows the token again", name)
		}
	}
}

func TestCreateGrantsTheChosenRole(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := admin(e)
	id, token := create(t, b, url.Values{"description": {"reader"}, "namespace_id": {global}, "expires": {"never"}, "role": {"viewer"}})
	perms, err := st.List(t.Context(), store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var granted []string
	for _, o := range perms.Objects {
		if p := o.(*store.NamespacePermission); p.SubjectID == id {
			granted = append(granted, p.NamespaceID+":"+string(p.Role))
		}
	}
	if len(granted) != 1 || granted[0] != global+":viewer" {
		t.Fatalf("grants of the new account: %v", granted)
	}
	if accounts(t, st)[0].ExpiresAt.IsZero() != true {
		t.Errorf("an account created to never expire has an expiry")
	}
	if got := b.Get("/service-accounts/" + id).Find("main").Text(); !strings.Contains(got, "viewer") || strings.Contains(got, token) {
		t.Errorf("account page: lacks its role or shows the token:\n%s", got)
	}
}

func TestCreateRefusalsShowFieldErrorsAndWriteNothing(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := admin(e)
	e.Grant(store.RoleManager, global, store.SubjectUser, "manager@example.com")
	m := e.User("manager@example.com")
	if m.Get("/service-accounts/new").Find("select#role").Length() != 0 {
		t.Error("a manager is offered to grant a role")
	}
	for _, c := range []struct {
		name        string
		manager     bool
		form        url.Values
		status      int
		field, want string
	}{
		{"past date", false, url.Values{"description": {"old"}, "namespace_id": {global}, "expires_at": {"2020-01-01"}}, http.StatusBadRequest, "#expires_at-error", "is not in the future"},
		{"not a date", false, url.Values{"description": {"old"}, "namespace_id": {global}, "expires_at": {"31/12/2030"}}, http.StatusBadRequest, "#expires_at-error", "is not a date"},
		{"no expiry choice", false, url.Values{"description": {"old"}, "namespace_id": {global}, "expires": {"someday"}}, http.StatusBadRequest, "#expires-error", "choose when"},
		{"not a role", false, url.Values{"description": {"old"}, "namespace_id": {global}, "expires": {"30d"}, "role": {"owner"}}, http.StatusBadRequest, "#role-error", "is not one of"},
		// Not the caller's to grant: forbidden, not a mistake in the form.
		{"manager grants", true, url.Values{"description": {"old"}, "namespace_id": {global}, "expires": {"30d"}, "role": {"admin"}}, http.StatusForbidden, "#role-error", "takes admin"},
		{"manager grants with a bad date too", true, url.Values{"description": {"old"}, "namespace_id": {global}, "expires_at": {"31/12/2030"}, "role": {"viewer"}}, http.StatusForbidden, "#role-error", "takes admin"},
	} {
		browser := b
		if c.manager {
			browser = m
		}
		res := browser.Post("/service-accounts/new", c.form)
		if res.Status != c.status {
			t.Fatalf("%s: status %d, want %d: %s", c.name, res.Status, c.status, res.Find("main").Text())
		}
		if got := res.Find(c.field).Text(); !strings.Contains(got, c.want) {
			t.Errorf("%s: %s says %q, want %q", c.name, c.field, got, c.want)
		}
		if got := res.Find("#description").AttrOr("value", ""); got != "old" {
			t.Errorf("%s: description %q, want the value sent", c.name, got)
		}
	}
	if got := accounts(t, st); len(got) != 0 {
		t.Fatalf("refused forms created %+v", got)
	}
}

func TestRevokeEndsTheToken(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := admin(e)
	id, token := create(t, b, url.Values{"description": {"temp"}, "namespace_id": {global}, "expires": {"30d"}, "role": {"viewer"}})
	if _, err := authenticate(t, e, token); err != nil {
		t.Fatalf("token before revoke: %v", err)
	}
	page := b.Get("/service-accounts/" + id)
	button := page.Find(`form[action="/service-accounts/` + id + `/delete"] button[data-confirm]`)
	if button.Length() != 1 {
		t.Fatalf("no revoke button with a confirmation:\n%s", page.Find("main").Text())
	}
	res := b.Post("/service-accounts/"+id+"/delete", url.Values{})
	if res.Status != http.StatusSeeOther || res.Location() != "/service-accounts" {
		t.Fatalf("revoke: status %d to %q: %s", res.Status, res.Location(), res.Find("main").Text())
	}
	if got := b.Follow(res).Find(".notice").Text(); !strings.Contains(got, "revoked") {
		t.Errorf("notice after revoke: %q", got)
	}
	if _, err := authenticate(t, e, token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("token after revoke: %v, want unauthenticated", err)
	}
	if got := accounts(t, st); len(got) != 0 {
		t.Fatalf("accounts after revoke: %+v", got)
	}
	perms, err := st.List(t.Context(), store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range perms.Objects {
		if o.(*store.NamespacePermission).SubjectID == id {
			t.Errorf("the revoked account keeps its role: %+v", o)
		}
	}
}

func TestViewerCannotCreateOrRevoke(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	id, _ := create(t, admin(e), url.Values{"description": {"ci"}, "namespace_id": {global}, "expires": {"30d"}})
	e.Grant(store.RoleViewer, global, store.SubjectUser, "viewer@example.com")
	v := e.User("viewer@example.com")
	list := v.Get("/service-accounts")
	if list.Status != http.StatusOK || list.Find(`tr[data-id="`+id+`"]`).Length() != 1 {
		t.Fatalf("viewer's list: status %d:\n%s", list.Status, list.Find("main").Text())
	}
	if list.Find(`a[href^="/service-accounts/new"]`).Length() != 0 {
		t.Error("a viewer is offered to create an account")
	}
	if got := v.Get("/service-accounts/" + id).Find(`form[action$="/delete"]`).Length(); got != 0 {
		t.Error("a viewer is offered to revoke an account")
	}
	if got := v.Get("/service-accounts/new").Status; got != http.StatusForbidden {
		t.Errorf("viewer's create form: status %d, want 403", got)
	}
	res := v.Post("/service-accounts/new", url.Values{"description": {"mine"}, "namespace_id": {global}, "expires": {"30d"}})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Find("#form-error").Text(), "needs manager") {
		t.Errorf("viewer's create: status %d: %s", res.Status, res.Find("main").Text())
	}
	if got := v.Post("/service-accounts/"+id+"/delete", url.Values{}).Status; got != http.StatusForbidden {
		t.Errorf("viewer's revoke: status %d, want 403", got)
	}
	if got := accounts(t, st); len(got) != 1 || got[0].ID != id {
		t.Fatalf("refused requests changed the accounts: %+v", got)
	}
}

func TestMissingCSRFTokenIsRefused(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := admin(e)
	id, _ := create(t, b, url.Values{"description": {"ci"}, "namespace_id": {global}, "expires": {"30d"}})
	if got := b.Post("/service-accounts/new", url.Values{"csrf_token": {""}, "description": {"x"}, "namespace_id": {global}, "expires": {"30d"}}).Status; got != http.StatusForbidden {
		t.Errorf("create without CSRF token: status %d, want 403", got)
	}
	if got := b.Post("/service-accounts/"+id+"/delete", url.Values{"csrf_token": {"forged"}}).Status; got != http.StatusForbidden {
		t.Errorf("revoke with a wrong CSRF token: status %d, want 403", got)
	}
	if got := accounts(t, st); len(got) != 1 || got[0].ID != id {
		t.Fatalf("refused requests changed the accounts: %+v", got)
	}
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	child, err := store.Put(t.Context(), st, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: global, Name: "team"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := admin(e)
	ids := map[string]string{}
	for _, c := range []struct{ desc, ns string }{{"alpha", global}, {"beta", global}, {"gamma", child.ID}} {
		ids[c.desc], _ = create(t, b, url.Values{"description": {c.desc}, "namespace_id": {c.ns}, "expires": {"30d"}})
	}
	rows := func(path string) string {
		page := b.Get(path)
		if page.Status != http.StatusOK {
			t.Fatalf("%s: status %d", path, page.Status)
		}
		var out []string
		page.Find("tbody tr td:first-child a").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return strings.Join(out, ",")
	}
	for path, want := range map[string]string{
		"/service-accounts":                        "gamma,beta,alpha",
		"/service-accounts?namespace=" + child.ID:  "gamma",
		"/service-accounts?q=ET":                   "beta",
		"/service-accounts?q=" + ids["alpha"][:13]: "alpha",
		"/service-accounts?limit=2&offset=2":       "alpha",
		"/service-accounts?namespace=" + global:    "beta,alpha",
	} {
		if got := rows(path); got != want {
			t.Errorf("%s: rows %q, want %q", path, got, want)
		}
	}
}
