package serviceaccounts_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestCreateWithANewUserName: outside Global a name becomes
// NAME@NAMESPACE_ID.pomerium; the token is that user's, the role chosen is
// granted to it, and the account's page shows it.
func TestCreateWithANewUserName(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	team := teamNamespace(t, st)
	b := admin(e)
	form := b.Get("/service-accounts/new")
	if got := form.Find(`input[name="user_kind"][checked]`).AttrOr("value", ""); got != "own" {
		t.Errorf("the form chooses user %q first, want own", got)
	}
	id, token := create(t, b, url.Values{"namespace_id": {team.ID}, "expires": {"never"}, "role": {"viewer"},
		"user_kind": {"new"}, "user_id": {" design-api "}})
	want := "design-api@" + team.ID + ".pomerium"
	sa, err := store.Get[*store.ServiceAccount](t.Context(), st, id)
	if err != nil || sa.UserID != want {
		t.Fatalf("stored account: %+v, %v; want user %s", sa, err, want)
	}
	p, err := authenticate(t, e, token)
	if err != nil || p.UserID != want {
		t.Fatalf("the token's user: %+v, %v; want %s", p, err, want)
	}
	page := b.Get("/service-accounts/" + id)
	if got := strings.TrimSpace(page.Find("dd.user-id code").Text()); got != want {
		t.Errorf("the account page shows user %q, want %s", got, want)
	}
	if got := page.Find("section[aria-labelledby=roles-h] tbody td").Last().Text(); got != "viewer" {
		t.Errorf("the account page shows roles %q, want the viewer role granted to its user", page.Find("section[aria-labelledby=roles-h]").Text())
	}
	if hint := page.Find("section[aria-labelledby=revoke-h] .hint").Text(); !strings.Contains(hint, "stay: they are the user's") {
		t.Errorf("revoke hint %q does not say the user's roles stay", hint)
	}
	list := b.Get("/service-accounts?q=DESIGN-API")
	if list.Find(`tr[data-id="`+id+`"]`).Length() != 1 || !strings.Contains(list.Find(`tr[data-id="`+id+`"] a`).Text(), want) {
		t.Errorf("searching by user id: %s", list.Find("#results").Text())
	}

	res := b.Post("/service-accounts/new", url.Values{"namespace_id": {team.ID}, "expires": {"never"}, "user_kind": {"new"}, "user_id": {"design-api"}})
	if res.Status != http.StatusConflict || !strings.Contains(res.Find("#user_id-error").Text(), "already acts as user") ||
		res.Find("input#user_id").AttrOr("aria-invalid", "") != "true" {
		t.Errorf("the same name again: status %d, error %q", res.Status, res.Find("#user_id-error").Text())
	}
	res = b.Post("/service-accounts/new", url.Values{"namespace_id": {team.ID}, "expires": {"never"}, "user_kind": {"new"}})
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Find("#user_id-error").Text(), "type the new user's name") {
		t.Errorf("no name: status %d, error %q", res.Status, res.Find("#user_id-error").Text())
	}
}

// TestCreateActingAsAnExistingUser: the form lists the users the console
// knows; an account acting as one has its roles, so it takes no role of
// its own, and only the Global namespace keeps a user's id as it is.
func TestCreateActingAsAnExistingUser(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	team := teamNamespace(t, st)
	e.Grant(store.RoleViewer, team.ID, store.SubjectUser, "reader@example.com")
	e.Grant(store.RoleAdmin, global, store.SubjectUser, "boss@example.com")
	e.Grant(store.RoleManager, global, store.SubjectUser, "manager@example.com")
	b := admin(e)
	if got := b.Get("/service-accounts/new").Find(`datalist#known-users option[value="reader@example.com"]`).Length(); got != 1 {
		t.Errorf("the list of known users lacks reader@example.com")
	}
	id, token := create(t, b, url.Values{"namespace_id": {global}, "expires": {"never"}, "user_kind": {"existing"}, "act_as": {"Reader@Example.com"}})
	p, err := authenticate(t, e, token)
	if err != nil || p.UserID != "reader@example.com" {
		t.Fatalf("the token's user: %+v, %v; want reader@example.com", p, err)
	}
	page := b.Get("/service-accounts/" + id)
	if got := page.Find("section[aria-labelledby=roles-h] tbody td").Last().Text(); got != "viewer" {
		t.Errorf("the account's roles: %q, want the reader's viewer role", page.Find("section[aria-labelledby=roles-h]").Text())
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		field  string
		want   string
	}{
		{"unknown", url.Values{"namespace_id": {global}, "act_as": {"nobody@example.com"}}, http.StatusBadRequest, "act_as", "is not known to the console"},
		{"outside Global", url.Values{"namespace_id": {team.ID}, "act_as": {"reader@example.com"}}, http.StatusBadRequest, "act_as", "create it in Global, or choose a new user name"},
		{"with a role", url.Values{"namespace_id": {global}, "act_as": {"manager@example.com"}, "role": {"viewer"}}, http.StatusBadRequest, "role", "has that user's roles"},
		{"none", url.Values{"namespace_id": {global}}, http.StatusBadRequest, "act_as", "choose a known user"},
	} {
		tc.form.Set("user_kind", "existing")
		tc.form.Set("expires", "never")
		res := b.Post("/service-accounts/new", tc.form)
		if res.Status != tc.status || !strings.Contains(res.Find("#"+tc.field+"-error").Text(), tc.want) {
			t.Errorf("%s: status %d, %s error %q; want %d and %q", tc.name, res.Status, tc.field, res.Find("#"+tc.field+"-error").Text(), tc.status, tc.want)
		}
	}

	// A manager of Global may not make an account act as an admin.
	manager := e.User("manager@example.com")
	manager.Get("/service-accounts")
	res := manager.Post("/service-accounts/new", url.Values{"namespace_id": {global}, "expires": {"never"}, "user_kind": {"existing"}, "act_as": {"boss@example.com"}})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Find("#act_as-error").Text(), `acting as user "boss@example.com", who is admin of namespace`) {
		t.Errorf("manager acting as an admin: status %d, error %q", res.Status, res.Find("#act_as-error").Text())
	}
	if n := len(accounts(t, st)); n != 1 {
		t.Errorf("%d accounts after the refusals, want the one created", n)
	}
}

// teamNamespace creates the namespace Team below Global.
func teamNamespace(t *testing.T, st store.Store) *store.Namespace {
	t.Helper()
	team, err := store.Put(t.Context(), st, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: global, Name: "Team"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return team
}
