package namespaces_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// user is a browser of a user behind Pomerium that has loaded a page.
func user(e *webtest.Env, email string, groups ...string) *webtest.Browser {
	b := e.User(email, groups...)
	b.Get("/namespaces")
	return b
}

func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	app := mkns(t, e.Store, team, "app")
	e.Grant(store.RoleViewer, team, store.SubjectUser, "viewer@example.com")
	e.Grant(store.RoleManager, team, store.SubjectUser, "manager@example.com")
	e.Grant(store.RoleAdmin, team, store.SubjectUser, "admin@team.example.com")
	viewerGrant := grantID(t, e.Store, team, "viewer@example.com")
	teamPath, appPath := "/namespaces/"+team, "/namespaces/"+app
	grant := form("subject_type", "user", "subject_id", "new@example.com", "role", "viewer")

	t.Run("viewer", func(t *testing.T) {
		b := user(e, "viewer@example.com")
		for _, path := range []string{teamPath, teamPath + "/permissions", appPath} {
			page := b.Get(path)
			wantStatus(t, page, http.StatusOK)
			if f := postForms(page); len(f) != 0 {
				t.Errorf("%s shows a viewer the forms %v", path, f)
			}
		}
		if !contains(b.Get(teamPath+"/permissions"), "manager@example.com") {
			t.Errorf("a viewer does not see the grants")
		}
		v := expectedVersion(t, admin(e).Get(appPath), appPath+"/rename")
		wantStatus(t, b.Post(teamPath+"/children", form("name", "x")), http.StatusForbidden)
		wantStatus(t, b.Post(appPath+"/rename", form("name", "x", "expected_version", v)), http.StatusForbidden)
		wantStatus(t, b.Post(appPath+"/delete", form()), http.StatusForbidden)
		wantStatus(t, b.Post(teamPath+"/permissions", grant), http.StatusForbidden)
		wantStatus(t, b.Post(teamPath+"/permissions/"+viewerGrant+"/revoke", form()), http.StatusForbidden)
	})

	t.Run("manager", func(t *testing.T) {
		b := user(e, "manager@example.com")
		page := b.Get(teamPath)
		// Managing team manages its children, not team itself.
		if got := postForms(page); !slices.Equal(got, []string{teamPath + "/children"}) {
			t.Errorf("forms a manager of team sees on team: %v", got)
		}
		page = b.Get(appPath)
		for _, action := range []string{"/children", "/rename", "/move", "/delete"} {
			if !hasForm(page, appPath+action) {
				t.Errorf("a manager of team lacks %s on its child", action)
			}
		}
		if f := postForms(b.Get(teamPath + "/permissions")); len(f) != 0 {
			t.Errorf("a manager sees the permission forms %v", f)
		}
		wantRedirect(t, b.Post(teamPath+"/children", form("name", "by-manager")), teamPath)
		wantStatus(t, b.Post(teamPath+"/permissions", grant), http.StatusForbidden)
		wantStatus(t, b.Post(teamPath+"/permissions/"+viewerGrant+"/revoke", form()), http.StatusForbidden)
	})

	t.Run("outsider", func(t *testing.T) {
		b := user(e, "nobody@example.com")
		wantStatus(t, b.Get(teamPath), http.StatusNotFound)
		wantStatus(t, b.Post(teamPath+"/children", form("name", "x")), http.StatusNotFound)
		wantStatus(t, b.Post(teamPath+"/permissions", grant), http.StatusNotFound)
	})

	if got := children(t, e.Store, team); !slices.Equal(got, []string{"app", "by-manager"}) {
		t.Errorf("children of team: %v", got)
	}
	if got := getns(t, e.Store, app); got == nil || got.Name != "app" {
		t.Errorf("app after refused changes: %+v", got)
	}
	want := []string{"user:viewer@example.com=viewer", "user:manager@example.com=manager", "user:admin@team.example.com=admin"}
	if got := grants(t, e.Store, team); !slices.Equal(got, want) {
		t.Errorf("grants after refused changes: %v", got)
	}

	t.Run("admin", func(t *testing.T) {
		b := user(e, "admin@team.example.com")
		page := b.Get(teamPath + "/permissions")
		if !hasForm(page, teamPath+"/permissions") || !hasForm(page, teamPath+"/permissions/"+viewerGrant+"/revoke") {
			t.Fatalf("an admin lacks the grant or revoke form: %v", postForms(page))
		}
		wantRedirect(t, b.Post(teamPath+"/permissions", grant), teamPath+"/permissions")
		wantRedirect(t, b.Post(teamPath+"/permissions/"+viewerGrant+"/revoke", form()), teamPath+"/permissions")
		want := []string{"user:manager@example.com=manager", "user:admin@team.example.com=admin", "user:new@example.com=viewer"}
		if got := grants(t, e.Store, team); !slices.Equal(got, want) {
			t.Errorf("grants after grant and revoke: %v", got)
		}
	})
}

func TestGrantThenRevokeChangesWhatTheUserSees(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	b := admin(e)
	dave := user(e, "dave@example.com")
	wantStatus(t, dave.Get("/namespaces/"+team), http.StatusNotFound)

	res := b.Post("/namespaces/"+team+"/permissions", form("subject_type", "user", "subject_id", " dave@example.com ", "role", "manager"))
	wantRedirect(t, res, "/namespaces/"+team+"/permissions")
	page := b.Follow(res)
	if got := page.Find("p.notice").Text(); !strings.Contains(got, "dave@example.com") {
		t.Errorf("notice %q", got)
	}
	if got := grants(t, e.Store, team); !slices.Equal(got, []string{"user:dave@example.com=manager"}) {
		t.Fatalf("grants: %v", got)
	}
	pid := grantID(t, e.Store, team, "dave@example.com")
	if page.Find("#grant-"+pid).Length() != 1 {
		t.Errorf("the grant is not listed")
	}
	if !hasForm(dave.Get("/namespaces/"+team), "/namespaces/"+team+"/children") {
		t.Errorf("dave, now manager, cannot create a child")
	}

	wantRedirect(t, b.Post("/namespaces/"+team+"/permissions/"+pid+"/revoke", form()), "/namespaces/"+team+"/permissions")
	if got := grants(t, e.Store, team); len(got) != 0 {
		t.Fatalf("grants after revoke: %v", got)
	}
	wantStatus(t, dave.Get("/namespaces/"+team), http.StatusNotFound)
}

func TestGrantRefusalsShowNextToTheField(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	e.Grant(store.RoleViewer, team, store.SubjectGroup, "eng")
	b := admin(e)
	for _, c := range []struct {
		subjectType, subject, role, field, reason string
		status                                    int
	}{
		{"user", "", "viewer", "#grant-subject-error", "is required", http.StatusBadRequest},
		{"user", "x@example.com", "owner", "#grant-role-error", `"owner" is not one of`, http.StatusBadRequest},
		{"robot", "x", "viewer", "#grant-type-error", `"robot" is not one of`, http.StatusBadRequest},
		{"group", "eng", "admin", "#grant-subject-error", "already has a permission", http.StatusConflict},
	} {
		res := b.Post("/namespaces/"+team+"/permissions", form("subject_type", c.subjectType, "subject_id", c.subject, "role", c.role))
		wantStatus(t, res, c.status)
		if got := res.Find(c.field).Text(); !strings.Contains(got, c.reason) {
			t.Errorf("%s/%s/%s: %s says %q, want %q", c.subjectType, c.subject, c.role, c.field, got, c.reason)
		}
		if v, _ := res.Find("#grant-subject").Attr("value"); v != c.subject {
			t.Errorf("subject field holds %q after the refusal, want %q", v, c.subject)
		}
	}
	if got := grants(t, e.Store, team); !slices.Equal(got, []string{"group:eng=viewer"}) {
		t.Fatalf("grants after refusals: %v", got)
	}
}

func TestChangeRoleRefusesAStaleVersion(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	e.Grant(store.RoleViewer, team, store.SubjectUser, "erin@example.com")
	pid := grantID(t, e.Store, team, "erin@example.com")
	b := admin(e)
	action := "/namespaces/" + team + "/permissions/" + pid
	page := b.Get("/namespaces/" + team + "/permissions")
	seen := expectedVersion(t, page, action)

	wantRedirect(t, b.Post(action, form("role", "manager", "expected_version", seen)), "/namespaces/"+team+"/permissions")
	if got := grants(t, e.Store, team); !slices.Equal(got, []string{"user:erin@example.com=manager"}) {
		t.Fatalf("grants after the change: %v", got)
	}
	res := b.Post(action, form("role", "admin", "expected_version", seen))
	wantStatus(t, res, http.StatusConflict)
	if got := res.Find("#grant-" + pid + " .field-error").Text(); !strings.Contains(got, "someone changed this") {
		t.Errorf("row says %q after a stale change", got)
	}
	if got := grants(t, e.Store, team); !slices.Equal(got, []string{"user:erin@example.com=manager"}) {
		t.Fatalf("grants after a stale change: %v", got)
	}
}

func TestPermissionsFilterAndPage(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	for i := range 3 {
		e.Grant(store.RoleViewer, team, store.SubjectUser, fmt.Sprintf("u%d@example.com", i))
	}
	e.Grant(store.RoleManager, team, store.SubjectGroup, "eng")
	b := admin(e)
	page := b.Get("/namespaces/" + team + "/permissions?q=group:")
	wantStatus(t, page, http.StatusOK)
	if rows := page.Find("#grants tbody tr"); rows.Length() != 1 || !strings.Contains(rows.Text(), "eng") {
		t.Errorf("group filter shows %q", rows.Text())
	}
	page = b.Get("/namespaces/" + team + "/permissions?q=user:&limit=2")
	if n := page.Find("#grants tbody tr").Length(); n != 2 {
		t.Fatalf("%d rows on a page of 2", n)
	}
	next, _ := page.Find(`nav.pager a[rel="next"]`).Attr("href")
	if !strings.Contains(next, "q=user%3A") || !strings.Contains(next, "offset=2") {
		t.Fatalf("next link %q does not keep the filter", next)
	}
	if rows := b.Get(next).Find("#grants tbody tr"); rows.Length() != 1 || !strings.Contains(rows.Text(), "u2@example.com") {
		t.Errorf("second page shows %q", rows.Text())
	}
}

func TestInheritedGrantsShowWhatTheViewerMaySee(t *testing.T) {
	t.Parallel()
	e := env(t)
	team := mkns(t, e.Store, global, "team")
	app := mkns(t, e.Store, team, "app")
	e.Grant(store.RoleAdmin, global, store.SubjectGroup, "ops")
	e.Grant(store.RoleViewer, team, store.SubjectUser, "tina@example.com")

	page := admin(e).Get("/namespaces/" + app + "/permissions")
	wantStatus(t, page, http.StatusOK)
	inherited := page.Find("section[aria-labelledby=inherited-h]").Text()
	for _, want := range []string{"Global / team", "tina@example.com", "ops"} {
		if !strings.Contains(inherited, want) {
			t.Errorf("inherited grants lack %q:\n%s", want, inherited)
		}
	}
	// tina sees team and below, not Global: its grants stay hidden.
	inherited = user(e, "tina@example.com").Get("/namespaces/" + app + "/permissions").Find("section[aria-labelledby=inherited-h]").Text()
	if !strings.Contains(inherited, "tina@example.com") || strings.Contains(inherited, "ops") {
		t.Errorf("inherited grants a viewer of team sees:\n%s", inherited)
	}
}
