package manage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/store"
)

// issuer stands in for the authenticator, whose tokens server/auth and the
// API tests check: it names the account and the user a token is for.
type issuer struct{}

func (issuer) IssueServiceAccountToken(_ context.Context, sa *store.ServiceAccount) (string, error) {
	return "token of " + sa.ID + " as " + sa.User(), nil
}

// withTokens makes the fixture's use cases issue tokens.
func (f *fixture) withTokens() *fixture {
	f.app = New(Options{Store: f.store, Tokens: issuer{}, Logger: logr.Discard()})
	return f
}

func TestServiceAccountUserIDRule(t *testing.T) {
	t.Parallel()
	const ns = "bff1bea6-a3d6-232d-812c-b4fd8e26d72e"
	const other = "0b8f6a3e-7c55-4c55-9d8f-0a8a5c4f0e11"
	for _, tc := range []struct {
		namespace, in, want, refusal string
	}{
		{store.GlobalNamespaceID, "", "", ""},
		{ns, "", "", ""},
		{store.GlobalNamespaceID, "ci", "ci", ""},
		{store.GlobalNamespaceID, "design-api@" + other + ".pomerium", "design-api@" + other + ".pomerium", ""},
		{ns, "design-api", "design-api@" + ns + ".pomerium", ""},
		{ns, "design-api@" + ns + ".pomerium", "design-api@" + ns + ".pomerium", ""},
		{ns, "alice@example.com", "alice@example.com@" + ns + ".pomerium", ""},
		{ns, "x@not-a-namespace.pomerium", "x@not-a-namespace.pomerium@" + ns + ".pomerium", ""},
		{ns, "design-api@" + other + ".pomerium", "",
			`"design-api@` + other + `.pomerium" ends in the suffix of namespace ` + other + `, but the account is in namespace ` + ns +
				`: send design-api@` + ns + `.pomerium or design-api alone`},
		{ns, "design-api@" + strings.ToUpper(ns) + ".pomerium", "",
			`spells the id of namespace ` + ns + ` otherwise: write design-api@` + ns + `.pomerium`},
		{ns, "@" + ns + ".pomerium", "", `names no user before @` + ns + `.pomerium`},
		{ns, strings.Repeat("u", 210), "", "is 256 bytes long with the suffix @" + ns + ".pomerium, at most 255 allowed"},
	} {
		got, err := ServiceAccountUserID(tc.namespace, tc.in)
		if tc.refusal != "" {
			e := wantRefusal(t, tc.in, err, CodeInvalid, "user_id")
			if !strings.Contains(e.Reason, tc.refusal) {
				t.Errorf("%q in %s: refused with %q, want %q", tc.in, tc.namespace, e.Reason, tc.refusal)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q in %s = %q, %v; want %q", tc.in, tc.namespace, got, err, tc.want)
		}
	}
}

func TestAddServiceAccountWithUserID(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withTokens()
	team := f.namespace(store.GlobalNamespaceID, "Team")
	admin := f.admin()
	add := func(ns, user string) (*ServiceAccount, string, error) {
		return f.app.AddServiceAccount(f.ctx, admin, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: ns}, UserID: user})
	}
	global, token, err := add(store.GlobalNamespaceID, "ci")
	if err != nil || global.User() != "ci" || token != "token of "+global.ID+" as ci" {
		t.Fatalf("Global account ci: %+v, %q, %v", global, token, err)
	}
	inTeam, token, err := add(team.ID, "deploy")
	want := "deploy@" + team.ID + ".pomerium"
	if err != nil || inTeam.UserID != want || inTeam.User() != want || token != "token of "+inTeam.ID+" as "+want {
		t.Fatalf("Team account deploy: %+v, %q, %v; want user %s", inTeam, token, err, want)
	}
	for _, user := range []string{"deploy", want} {
		_, _, err := add(team.ID, user)
		e := wantRefusal(t, "the user of another account of Team", err, CodeAlreadyExists, "user_id")
		if !strings.Contains(e.Reason, inTeam.ID) || !strings.Contains(e.Reason, want) {
			t.Errorf("duplicate %q refused with %q, want the account and user named", user, e.Reason)
		}
	}
	// Unique per namespace: Global may hold an account of the same user.
	if sa, _, err := add(store.GlobalNamespaceID, want); err != nil || sa.User() != want {
		t.Fatalf("Global account acting as Team's user: %+v, %v", sa, err)
	}
	legacy, _, err := add(store.GlobalNamespaceID, "")
	if err != nil || legacy.UserID != "" || legacy.User() != legacy.ID || legacy.Name != "service account "+legacy.ID {
		t.Fatalf("account without a user id: %+v, %v; want its id as its user", legacy, err)
	}
	_, _, err = add(store.GlobalNamespaceID, legacy.ID)
	wantRefusal(t, "the id of an account without a chosen user", err, CodeAlreadyExists, "user_id")
	_, _, err = add(team.ID, "x@"+store.GlobalNamespaceID+".pomerium")
	wantRefusal(t, "another namespace's suffix", err, CodeInvalid, "user_id")
	_, _, err = add(team.ID, " padded")
	wantRefusal(t, "white space", err, CodeInvalid, "user_id")
}

// TestServiceAccountActingAsUserNeverOutranksItsCreator: an account acts
// with its user's roles, so a caller may create one only for a user whose
// roles it holds itself, everywhere.
func TestServiceAccountActingAsUserNeverOutranksItsCreator(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withTokens()
	team := f.namespace(store.GlobalNamespaceID, "Team")
	app := f.namespace(team.ID, "App")
	other := f.namespace(store.GlobalNamespaceID, "Other")
	f.grant(store.GlobalNamespaceID, "manager", store.RoleManager)
	f.grant(team.ID, "team-manager", store.RoleManager)
	f.grant(store.GlobalNamespaceID, "reader", store.RoleViewer)
	f.grant(app.ID, "app-admin", store.RoleAdmin)
	f.grant(other.ID, "ci@"+team.ID+".pomerium", store.RoleViewer)
	add := func(c *Caller, ns, user string) error {
		_, _, err := f.app.AddServiceAccount(f.ctx, c, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: ns}, UserID: user})
		return err
	}
	manager := f.caller("manager")
	for _, user := range []string{"reader", "manager", "nobody-yet"} {
		if err := add(manager, store.GlobalNamespaceID, user); err != nil {
			t.Errorf("manager of Global acting as %s: %v", user, err)
		}
	}
	e := wantRefusal(t, "manager of Global acting as an admin of App", add(manager, store.GlobalNamespaceID, "app-admin"), CodePermissionDenied, "user_id")
	if want := `manager may not create a service account acting as user "app-admin", who is admin of namespace ` + app.ID + " where manager is manager"; e.Reason != want {
		t.Errorf("refusal %q, want %q", e.Reason, want)
	}
	e = wantRefusal(t, "manager of Team acting as a viewer of Other", add(f.caller("team-manager"), team.ID, "ci"), CodePermissionDenied, "user_id")
	if want := "holds a role in a namespace team-manager cannot see"; !strings.Contains(e.Reason, want) || strings.Contains(e.Reason, other.ID) {
		t.Errorf("refusal %q, want %q without the hidden namespace", e.Reason, want)
	}
	if err := add(f.admin(), team.ID, "ci"); err != nil {
		t.Errorf("Global admin acting as a viewer of Other: %v", err)
	}
}

func TestSetServiceAccountKeepsItsUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withTokens()
	team := f.namespace(store.GlobalNamespaceID, "Team")
	admin := f.admin()
	chosen, _, err := f.app.AddServiceAccount(f.ctx, admin, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}, UserID: "deploy"})
	if err != nil {
		t.Fatal(err)
	}
	legacy, _, err := f.app.AddServiceAccount(f.ctx, admin, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}})
	if err != nil {
		t.Fatal(err)
	}
	set := func(sa *ServiceAccount, user, description string) (*ServiceAccount, error) {
		out, _, err := f.app.SetServiceAccount(f.ctx, admin, ServiceAccountInput{Account: &store.ServiceAccount{
			ObjectMeta: store.ObjectMeta{ID: sa.ID}, UserID: user, Description: description}})
		return out, err
	}
	for i, user := range []string{"", "deploy", chosen.User()} {
		got, err := set(chosen, user, "kept "+user)
		if err != nil || got.User() != chosen.User() || got.Description != "kept "+user {
			t.Errorf("set %d with user id %q: %+v, %v; want user %s kept", i, user, got, err, chosen.User())
		}
	}
	for _, user := range []string{"", legacy.ID} {
		if got, err := set(legacy, user, "legacy"); err != nil || got.UserID != "" || got.User() != legacy.ID {
			t.Errorf("set the account without a chosen user with %q: %+v, %v", user, got, err)
		}
	}
	for _, tc := range []struct {
		sa   *ServiceAccount
		user string
	}{{chosen, "other"}, {chosen, "deploy@" + store.GlobalNamespaceID + ".pomerium"}, {legacy, "deploy"}} {
		_, err := set(tc.sa, tc.user, "changed")
		e := wantRefusal(t, "set user id "+tc.user, err, CodeInvalid, "user_id")
		if want := "cannot change: service account " + tc.sa.ID + ` acts as user "` + tc.sa.User() + `" for good`; !strings.Contains(e.Reason, want) {
			t.Errorf("refusal %q, want %q", e.Reason, want)
		}
	}
}

// TestExtendingTheExpiryOfAnAccountActingAsAUser: a new token of an
// account takes its user's roles, whoever granted them.
func TestExtendingTheExpiryOfAnAccountActingAsAUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withTokens()
	f.grant(store.GlobalNamespaceID, "manager", store.RoleManager)
	sa, _, err := f.app.AddServiceAccount(f.ctx, f.admin(), &store.ServiceAccount{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID}, UserID: "robot", ExpiresAt: f.app.now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f.grant(store.GlobalNamespaceID, "robot", store.RoleAdmin)
	_, _, err = f.app.SetServiceAccount(f.ctx, f.caller("manager"), ServiceAccountInput{Account: &store.ServiceAccount{
		ObjectMeta: store.ObjectMeta{ID: sa.ID}, ExpiresAt: sa.ExpiresAt.Add(time.Hour)}})
	wantRefusal(t, "manager extending an account whose user is admin", err, CodePermissionDenied, "")
}

func TestDeleteServiceAccountKeepsTheUsersPermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withTokens()
	admin := f.admin()
	chosen, _, err := f.app.AddServiceAccount(f.ctx, admin, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID}, UserID: "robot"})
	if err != nil {
		t.Fatal(err)
	}
	legacy, _, err := f.app.AddServiceAccount(f.ctx, admin, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID}})
	if err != nil {
		t.Fatal(err)
	}
	f.grant(store.GlobalNamespaceID, "robot", store.RoleViewer)
	f.grant(store.GlobalNamespaceID, legacy.ID, store.RoleViewer)
	for _, sa := range []*ServiceAccount{chosen, legacy} {
		if err := f.app.DeleteServiceAccount(f.ctx, admin, sa.ID); err != nil {
			t.Fatal(err)
		}
	}
	all, err := f.store.List(f.ctx, store.KindNamespacePermission, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, p := range objectsOf[*store.NamespacePermission](all.Objects) {
		subjects = append(subjects, p.SubjectID)
	}
	if len(subjects) != 1 || subjects[0] != "robot" {
		t.Errorf("permissions after deleting both accounts name %v, want robot's only", subjects)
	}
}

func TestKnownUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t).withTokens()
	team := f.namespace(store.GlobalNamespaceID, "Team")
	sa, _, err := f.app.AddServiceAccount(f.ctx, f.admin(), &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID}, UserID: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	f.grant(team.ID, sa.User(), store.RoleViewer)
	f.grant(team.ID, "Bob@Example.com", store.RoleViewer)
	viewer := f.caller(sa.User())
	if u, err := f.app.KnownUser(f.ctx, viewer, sa.User()); err != nil || u.ID != sa.User() || u.Name != sa.Name {
		t.Errorf("the user of an account: %+v, %v; want it named %q", u, err, sa.Name)
	}
	if u, err := f.app.KnownUser(f.ctx, viewer, "bob@example.com"); err != nil || u.ID != "Bob@Example.com" {
		t.Errorf("a user by email in another case: %+v, %v", u, err)
	}
	_, err = f.app.KnownUser(f.ctx, viewer, "nobody")
	wantRefusal(t, "an unknown user", err, CodeNotFound, "user_id")
	_, err = f.app.KnownUser(f.ctx, f.caller("guest"), sa.User())
	wantRefusal(t, "a caller without a role", err, CodePermissionDenied, "")
}
