package manage

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// A use case decides on what it read and must write only that: every
// update and delete is pinned to the version its decision was taken on.
// These tests change the object between the read and the write (the
// beforeWrite hook) and check that the stale writer is refused with
// nothing changed.

// teams sets the scene of a race: namespaces Team, which "manager"
// manages, and Other, which it does not.
func (f *fixture) teams() (team, other *store.Namespace) {
	team = f.namespace(store.GlobalNamespaceID, "Team")
	other = f.namespace(store.GlobalNamespaceID, "Other")
	f.grant(team.ID, "manager", store.RoleManager)
	return team, other
}

// moveBeforeWrite moves r to namespace to between the next use case's read
// and its write, as an admin racing it would.
func (f *fixture) moveBeforeWrite(r *store.Route, to string) {
	f.once(func() {
		moved := store.Clone(r)
		moved.NamespaceID = to
		put(f, moved)
	})
}

// TestSetPolicyRacingEnforce: a manager edits a policy while an admin
// enforces it. Unpinned, the manager's write (which a manager may make of
// a policy that is not enforced) would quietly un-enforce it.
func TestSetPolicyRacingEnforce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team := f.namespace(store.GlobalNamespaceID, "Team")
	f.grant(team.ID, "manager", store.RoleManager)
	p := f.policy(team.ID, "p", false)

	f.once(func() {
		enforced := store.Clone(p)
		enforced.Enforced = true
		put(f, enforced)
	})
	edit := store.Clone(p)
	edit.Description = "the manager's edit"
	_, err := f.app.SetPolicy(f.ctx, f.caller("manager"), PolicyInput{Policy: edit})
	wantRefusal(t, "stale SetPolicy", err, CodeConflict, "version")

	got, err := store.Get[*store.Policy](f.ctx, f.store, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Enforced || got.Description != "" {
		t.Fatalf("the stale write changed the policy: %+v", got)
	}
}

// TestDeleteRacingMove: a manager of one namespace deletes a route while
// an admin moves it to a namespace the manager does not manage.
func TestDeleteRacingMove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team, other := f.teams()
	r := f.route(team.ID, "app", nil)

	f.moveBeforeWrite(r, other.ID)
	err := f.app.DeleteRoutes(f.ctx, f.caller("manager"), []string{r.ID})
	e := wantRefusal(t, "stale DeleteRoutes", err, CodeConflict, "ids[0].version")
	if e.Index != 0 {
		t.Errorf("index of the refused route = %d, want 0", e.Index)
	}
	if got, err := store.Get[*store.Route](f.ctx, f.store, r.ID); err != nil || got.NamespaceID != other.ID {
		t.Fatalf("the route after the stale delete: %v, %v", got, err)
	}

	// The same through DeleteRoute.
	r2 := f.route(team.ID, "second", nil)
	f.moveBeforeWrite(r2, other.ID)
	err = f.app.DeleteRoute(f.ctx, f.caller("manager"), r2.ID)
	wantRefusal(t, "stale DeleteRoute", err, CodeConflict, "version")
}

// TestSetRouteRacingMove: an update that names no version is pinned to
// the version it was authorised on.
func TestSetRouteRacingMove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team, other := f.teams()
	r := f.route(team.ID, "app", nil)

	f.moveBeforeWrite(r, other.ID)
	edit := store.Clone(r)
	edit.Spec.From = "https://changed.example.com"
	_, err := f.app.SetRoute(f.ctx, f.caller("manager"), RouteInput{Route: edit})
	wantRefusal(t, "stale SetRoute", err, CodeConflict, "version")
	got, err := store.Get[*store.Route](f.ctx, f.store, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.NamespaceID != other.ID || got.Spec.GetFrom() != r.Spec.GetFrom() {
		t.Fatalf("the stale write changed the route: %+v", got)
	}
}

// TestDeletePolicyRacingRouteMove: detaching a policy from its routes is
// pinned to the routes the caller was allowed to change.
func TestDeletePolicyRacingRouteMove(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	team, other := f.teams()
	p := f.policy(team.ID, "p", false)
	r := f.route(team.ID, "app", nil)
	r.Spec.PolicyIds = []string{p.ID}
	r = put(f, r)

	f.moveBeforeWrite(r, other.ID)
	err := f.app.DeletePolicy(f.ctx, f.caller("manager"), p.ID, true)
	if CodeOf(err) != CodeConflict {
		t.Fatalf("stale DeletePolicy: %v, want a conflict", err)
	}
	got, err := store.Get[*store.Route](f.ctx, f.store, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.Spec, r.Spec) {
		t.Fatalf("the route in a namespace the manager does not manage lost its policy: %v", got.Spec)
	}
	if _, err := store.Get[*store.Policy](f.ctx, f.store, p.ID); err != nil {
		t.Fatalf("the policy is gone: %v", err)
	}
}

// TestSetSettingsRacingTheFirstWrite: settings never written have no
// version to pin; the first write is still the one decided on.
func TestSetSettingsRacingTheFirstWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.once(func() {
		put(f, &store.Settings{Spec: &configpb.Settings{LogLevel: new("debug")}})
	})
	_, err := f.app.SetSettings(f.ctx, f.admin(), SettingsInput{Spec: &configpb.Settings{LogLevel: new("info")}})
	wantRefusal(t, "stale first SetSettings", err, CodeConflict, "version")
	got, err := store.Get[*store.Settings](f.ctx, f.store, store.SettingsID)
	if err != nil || got.Spec.GetLogLevel() != "debug" {
		t.Fatalf("the stale write changed the settings: %v, %v", got, err)
	}

	// A caller that read them before that write says so, and is refused.
	_, err = f.app.SetSettings(f.ctx, f.admin(), SettingsInput{Spec: &configpb.Settings{LogLevel: new("info")}, ExpectedVersion: new(int64(0))})
	wantRefusal(t, "SetSettings expecting version 0", err, CodeConflict, "version")
}
