package devices_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestListAndFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	page := ok(t, "the list", admin.Get("/devices"))
	if got := rows(page); !sameItems(got, []string{f.alice, f.bob, f.carol}) {
		t.Fatalf("rows %v", got)
	}
	alice := page.Find(`tr[data-credential="` + f.alice + `"]`)
	if th := alice.Find("th").Text(); !strings.Contains(th, "alice@example.com") || !strings.Contains(th, "Alice Liddell") {
		t.Errorf("alice's row names %q", th)
	}
	if !strings.Contains(alice.Find(".approval").Text(), "not approved") || alice.Find(`form[action="/devices/approve"]`).Length() != 1 {
		t.Errorf("alice's device is not shown as awaiting approval: %q", alice.Text())
	}
	bob := page.Find(`tr[data-credential="` + f.bob + `"]`)
	if !strings.Contains(bob.Text(), "Secure Enclave Only") || !strings.Contains(bob.Find(".approval").Text(), "approved by user-"+webtest.Admin) ||
		bob.Find(`form[action="/devices/approve"]`).Length() != 0 {
		t.Errorf("bob's row: %q", bob.Text())
	}
	if !strings.Contains(page.Find(`tr[data-enrollment="`+f.carol+`"]`).Text(), "link not used yet") {
		t.Error("carol's enrollment is not shown as an unused link")
	}
	if page.Find(`nav[aria-label="Main"] a[href="/devices"]`).Length() != 1 {
		t.Error("no Devices entry in the navigation for a Global admin")
	}
	for query, want := range map[string][]string{
		"user=u-alice":       {f.alice},
		"type=enclave_only":  {f.bob},
		"approval=approved":  {f.bob},
		"approval=pending":   {f.alice, f.carol},
		"type=any&user=u-bo": nil,
	} {
		if got := rows(ok(t, query, admin.Get("/devices?"+query))); !sameItems(got, want) {
			t.Errorf("%s: rows %v, want %v", query, got, want)
		}
	}
}

func sameItems(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestApproveFromTheList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	res := admin.Post("/devices/approve", url.Values{"credential": {f.alice}, "back": {"/devices?user=u-alice"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/devices?user=u-alice" {
		t.Fatalf("approve: %d to %q: %s", res.Status, res.Location(), res.Text())
	}
	if notice := admin.Follow(res).Find("#notice").Text(); !strings.Contains(notice, "Device approved") {
		t.Errorf("notice %q", notice)
	}
	var cred devicepb.Credential
	f.record(credentialType, f.alice, &cred)
	var enr devicepb.Enrollment
	if f.record(enrollmentType, cred.GetEnrollmentId(), &enr); enr.GetApprovedBy() != "user-"+webtest.Admin {
		t.Errorf("approved_by %q, want the admin's user id", enr.GetApprovedBy())
	}
	page, err := f.e.Store.Activity(t.Context(), store.ActivityQuery{Action: store.ActionApprove})
	if err != nil || page.TotalCount != 1 || page.Entries[0].Origin != store.OriginUI || page.Entries[0].EntityID != f.alice {
		t.Errorf("approvals logged: %+v, %v", page, err)
	}
}

func TestDeleteConfirms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	confirm := ok(t, "the confirmation", admin.Get("/devices/delete?credential="+url.QueryEscape(f.alice)))
	if text := confirm.Find("main").Text(); !strings.Contains(text, "alice@example.com") || !strings.Contains(confirm.Find("#delete-effect").Text(), "enroll one again") {
		t.Errorf("the confirmation says %q", text)
	}
	var cred devicepb.Credential
	f.record(credentialType, f.alice, &cred)
	// A manager is shown what deleting does, and refused.
	f.e.Grant(store.RoleManager, global, store.SubjectUser, "user-manager@example.com")
	manager := f.e.User("manager@example.com")
	if page := manager.Get("/devices/delete?credential=" + url.QueryEscape(f.alice)); page.Status != http.StatusForbidden {
		t.Errorf("a manager's confirmation: %d", page.Status)
	}
	if res := manager.Post("/devices/delete", url.Values{"credential": {f.alice}}); res.Status != http.StatusForbidden {
		t.Errorf("a manager's deletion: %d", res.Status)
	}
	res := admin.Post("/devices/delete", url.Values{"credential": {f.alice}})
	if res.Status != http.StatusSeeOther || res.Location() != "/devices" {
		t.Fatalf("delete: %d to %q: %s", res.Status, res.Location(), res.Text())
	}
	if f.record(credentialType, f.alice, nil) || f.record(enrollmentType, cred.GetEnrollmentId(), nil) || !f.record(credentialType, f.bob, nil) {
		t.Error("the deletion left the device, or took another")
	}
	// An unused enrollment is deleted by its id: its link stops working.
	if text := ok(t, "an enrollment's confirmation", admin.Get("/devices/delete?enrollment="+f.carol)).Find("#delete-effect").Text(); !strings.Contains(text, "link stops working") {
		t.Errorf("an enrollment's confirmation says %q", text)
	}
	if res := admin.Post("/devices/delete", url.Values{"enrollment": {f.carol}}); res.Status != http.StatusSeeOther || f.record(enrollmentType, f.carol, nil) {
		t.Errorf("delete the enrollment: %d", res.Status)
	}
	if page := admin.Get("/devices/delete?credential=nope"); page.Status != http.StatusNotFound {
		t.Errorf("confirm an unknown device: %d", page.Status)
	}
}

// Only admins of a cluster's namespace see its devices.
func TestViewersSeeNoDevices(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, role := range []store.Role{store.RoleViewer, store.RoleManager} {
		email := string(role) + "@example.com"
		f.e.Grant(role, global, store.SubjectUser, "user-"+email)
		page := f.e.User(email).Get("/devices")
		if page.Status != http.StatusForbidden || page.Find("#results-error").Length() != 1 || len(rows(page)) != 0 {
			t.Errorf("%s: status %d, rows %v", role, page.Status, rows(page))
		}
		if page.Find(`nav[aria-label="Main"] a[href="/devices"]`).Length() != 0 {
			t.Errorf("%s: the navigation offers Devices", role)
		}
	}
}

// An admin of an added cluster's namespace sees that cluster's devices,
// without naming it.
func TestClusterAdminSeesTheClustersDevices(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, err := f.e.App.System(t.Context(), "test", store.OriginAPI)
	if err != nil {
		t.Fatal(err)
	}
	east, err := f.e.App.AddCluster(t.Context(), c, manage.ClusterInput{Cluster: &store.Cluster{
		ObjectMeta: store.ObjectMeta{Name: "east"}, DatabrokerServiceURL: webtest.DatabrokerServerWith(t, secret), SharedSecret: secret,
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.addBroker(east.ID)
	device := f.in(east.ID).register("u-erin", "any", "", time.Now())
	f.e.Grant(store.RoleAdmin, east.ID, store.SubjectUser, "user-erin-admin@example.com")
	b := f.e.User("erin-admin@example.com")
	page := ok(t, "the cluster admin's list", b.Get("/devices"))
	if got := rows(page); !sameItems(got, []string{device}) {
		t.Errorf("rows %v, want east's device", got)
	}
	if page.Find(`input[type="hidden"][name="cluster"][value="`+east.ID+`"]`).Length() == 0 {
		t.Error("the list's forms do not keep the cluster")
	}
	// The screen's links keep to the cluster.
	del := page.Find(`tr[data-credential="`+device+`"] a[href^="/devices/delete"]`).AttrOr("href", "")
	if confirm := ok(t, "the delete link "+del, b.Get(del)); !strings.Contains(confirm.Find("main").Text(), "u-erin") {
		t.Errorf("the delete link shows %q", confirm.Find("main").Text())
	}
	types := page.Find(`.tabs a[href^="/devices/types"]`).AttrOr("href", "")
	if list := ok(t, "the types tab "+types, b.Get(types)); list.Find(`a[href="/devices/types/new?cluster=`+east.ID+`"]`).Length() != 1 {
		t.Errorf("the types page of %s does not keep to the cluster", types)
	}
	if res := b.Post("/devices/approve", url.Values{"credential": {device}, "cluster": {east.ID}}); res.Status != http.StatusSeeOther {
		t.Errorf("approve in east: %d %q", res.Status, res.Find("main").Text())
	}
	if page := b.Get("/devices?cluster=" + store.DefaultClusterID); page.Status != http.StatusForbidden {
		t.Errorf("the default cluster's devices: %d", page.Status)
	}
}
