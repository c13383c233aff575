package devices_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/manage/enrollment"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestEnrollmentLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	form := ok(t, "the enrollment form", admin.Get("/devices/enroll?user_id=u-alice"))
	if form.Find(`input[name="user_id"]`).AttrOr("value", "") != "u-alice" || form.Find(`select[name="type_id"] option[value="enclave_only"]`).Length() != 1 {
		t.Errorf("the form: %q", form.Find("main").Text())
	}
	bad := admin.Post("/devices/enroll", url.Values{"user_id": {""}, "route_url": {"https://app.example.com"}})
	if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Find("#user_id-error").Text(), "is required") {
		t.Errorf("no user: %d %q", bad.Status, bad.Find("main").Text())
	}
	bad = admin.Post("/devices/enroll", url.Values{"user_id": {"u-alice"}})
	if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Find("#route_url-error").Text(), "authenticate_service_url") {
		t.Errorf("no route and no authenticate URL: %d %q", bad.Status, bad.Find("main").Text())
	}
	res := ok(t, "create a link", admin.Post("/devices/enroll", url.Values{
		"user_id": {"u-alice"}, "type_id": {"enclave_only"}, "route_url": {"https://app.example.com/x"},
	}))
	raw := res.Find("#enrollment-url").AttrOr("value", "")
	link, err := url.Parse(raw)
	if err != nil || link.Host != "app.example.com" || link.Path != "/.pomerium/webauthn" {
		t.Fatalf("the link %q (%v)", raw, err)
	}
	if err := enrollment.VerifyURL(secret, link, time.Now()); err != nil {
		t.Errorf("the link does not pass Pomerium's check: %v", err)
	}
	id, _, err := enrollment.ParseToken(secret, link.Query().Get("pomerium_enrollment_token"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var enr devicepb.Enrollment
	if !f.record(enrollmentType, id.String(), &enr) || enr.GetUserId() != "u-alice" || enr.GetTypeId() != "enclave_only" || enr.GetEnrolledAt() != nil {
		t.Errorf("the enrollment: %v", &enr)
	}
	if !strings.Contains(res.Find("#enrollment-link").Text(), id.String()) {
		t.Errorf("the page does not name the enrollment: %q", res.Find("#enrollment-link").Text())
	}
	if strings.Contains(res.Text(), string(secret)) {
		t.Error("the page shows the shared secret")
	}
	page, err := f.e.Store.Activity(t.Context(), store.ActivityQuery{EntityType: store.EntityDevice})
	if err != nil || page.TotalCount != 1 || page.Entries[0].EntityID != id.String() {
		t.Errorf("the enrollment logged: %+v, %v", page, err)
	}
	f.e.Grant(store.RoleManager, global, store.SubjectUser, "user-manager@example.com")
	if page := f.e.User("manager@example.com").Get("/devices/enroll"); page.Status != http.StatusForbidden || page.Find(`form[action="/devices/enroll"]`).Length() != 0 {
		t.Errorf("a manager's enrollment form: %d", page.Status)
	}
}
