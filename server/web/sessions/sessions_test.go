package sessions_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/sessionpb"
	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web"
	"github.com/pomerium-console/pomerium-console/server/web/sessions"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

const sessionType = "type.googleapis.com/session.Session"

// fixture is a console with the sessions screen over an embedded store,
// and the default cluster's databroker holding the sessions of alice (2),
// bob (1) and the admin (1), newest first in that order.
type fixture struct {
	t      *testing.T
	e      *webtest.Env
	broker *databroker.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	broker := webtest.Databroker(t)
	brokers := manage.DatabrokerFunc(func(id string) (databrokerpb.DataBrokerServiceClient, error) {
		if id != store.DefaultClusterID {
			return nil, status.Error(codes.Unavailable, "not connected")
		}
		return broker.RPC(), nil
	})
	e := webtest.New(t, webtest.Embedded(t), webtest.Options{Screens: []web.Screen{sessions.Register}, Databrokers: brokers})
	f := &fixture{t: t, e: e, broker: broker}
	now := time.Now()
	f.put(sessionType, "s-alice-1", session("s-alice-1", "u-alice", "alice@example.com", now.Add(-time.Hour)))
	f.put(sessionType, "s-bob", session("s-bob", "u-bob", "bob@example.com", now.Add(-2*time.Hour)))
	f.put(sessionType, "s-alice-2", session("s-alice-2", "u-alice", "alice@example.com", now.Add(-3*time.Hour)))
	f.put(sessionType, "s-admin", session("s-admin", "user-"+webtest.Admin, webtest.Admin, now.Add(-4*time.Hour)))
	f.put("type.googleapis.com/user.User", "u-alice", &userpb.User{Id: "u-alice", Name: "Alice Liddell", Email: "alice@example.com"})
	return f
}

// session is a session as Pomerium writes it.
func session(id, userID, email string, issued time.Time) *sessionpb.Session {
	l, _ := structpb.NewList([]any{email})
	return &sessionpb.Session{
		Id: id, UserId: userID, IssuedAt: timestamppb.New(issued), ExpiresAt: timestamppb.New(issued.Add(14 * time.Hour)),
		IdToken:    &sessionpb.IDToken{Issuer: "https://idp.example.com", Subject: userID},
		OauthToken: &sessionpb.OAuthToken{AccessToken: "access-" + id, RefreshToken: "refresh-" + id},
		Claims:     map[string]*structpb.ListValue{"email": l},
	}
}

func (f *fixture) put(recordType, id string, m proto.Message) {
	f.t.Helper()
	webtest.PutRecord(f.t, f.broker, recordType, id, m)
}

// read reads a session from the databroker; nil once it is deleted.
func (f *fixture) read(id string) *sessionpb.Session {
	f.t.Helper()
	var s sessionpb.Session
	if !webtest.Record(f.t, f.broker, sessionType, id, &s) {
		return nil
	}
	return &s
}

func rows(page *webtest.Response) []string {
	var ids []string
	page.Find("tbody tr").Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("data-id", "")) })
	return ids
}

func TestListAndSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.e.User(webtest.Admin)
	page := admin.Get("/sessions")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if got := rows(page); !slices.Equal(got, []string{"s-alice-1", "s-bob", "s-alice-2", "s-admin"}) {
		t.Fatalf("rows %v, want newest first", got)
	}
	first := page.Find(`tr[data-id="s-alice-1"] th`).Text()
	if !strings.Contains(first, "alice@example.com") || !strings.Contains(first, "Alice Liddell") {
		t.Errorf("the first row names %q", first)
	}
	if !strings.Contains(page.Text(), "about a minute") {
		t.Error("the page does not say how long Pomerium may honour a deleted session")
	}
	if strings.Contains(page.Source(), "refresh-") || strings.Contains(page.Source(), "access-") {
		t.Error("the page shows a session's token")
	}
	if page.Find(`nav[aria-label="Main"] a[href="/sessions"]`).Length() != 1 {
		t.Error("no Sessions entry in the navigation for a Global admin")
	}
	// Without a Pomerium session of its own, the admin cannot impersonate.
	if page.Find(`form[action$="/impersonate"]`).Length() != 0 {
		t.Error("impersonate offered to a caller without a Pomerium session")
	}
	if got := rows(admin.Get("/sessions?q=liddell")); !slices.Equal(got, []string{"s-alice-1", "s-alice-2"}) {
		t.Errorf("search by name: %v", got)
	}
	if got := rows(admin.Get("/sessions?user=u-bob")); !slices.Equal(got, []string{"s-bob"}) {
		t.Errorf("one user's sessions: %v", got)
	}
	paged := admin.Get("/sessions?limit=2&offset=2")
	if got := rows(paged); !slices.Equal(got, []string{"s-alice-2", "s-admin"}) || !strings.Contains(paged.Find(".pager").Text(), "3–4 of 4") {
		t.Errorf("second page: %v, %q", got, paged.Find(".pager").Text())
	}
	one := admin.Get("/sessions/s-alice-2")
	if one.Status != http.StatusOK || !strings.Contains(one.Find("h1").Text(), "alice@example.com") ||
		one.Find(`section[aria-labelledby="others-h"] tbody tr[data-id="s-alice-1"]`).Length() != 1 {
		t.Errorf("the session's page: %d %s", one.Status, one.Find("main").Text())
	}
	if missing := admin.Get("/sessions/s-nobody"); missing.Status != http.StatusNotFound {
		t.Errorf("an unknown session: %d", missing.Status)
	}
}

func TestSignOutFromTheScreen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.e.User(webtest.Admin)
	res := admin.Post("/sessions/s-bob/sign-out", url.Values{})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign out: %d %s", res.Status, res.Text())
	}
	after := admin.Follow(res)
	if notice := after.Find("#notice").Text(); !strings.Contains(notice, "Signed out 1 session") || !strings.Contains(notice, "about a minute") {
		t.Errorf("notice %q", notice)
	}
	if f.read("s-bob") != nil || f.read("s-alice-1") == nil {
		t.Fatal("sign-out deleted the wrong sessions")
	}
	res = admin.Post("/sessions/s-alice-1/sign-out", url.Values{"all": {"true"}, "back": {"/sessions/s-alice-1"}})
	if res.Status != http.StatusSeeOther || res.Location() != "/sessions" {
		t.Fatalf("sign out all: %d to %q", res.Status, res.Location())
	}
	if f.read("s-alice-1") != nil || f.read("s-alice-2") != nil || f.read("s-admin") == nil {
		t.Fatal("signing out every session of alice did not, or did more")
	}
	page, err := f.e.Store.Activity(t.Context(), store.ActivityQuery{Action: store.ActionSignOut})
	if err != nil || page.TotalCount != 2 || page.Entries[0].Origin != store.OriginUI || page.Entries[0].Subject != webtest.Admin {
		t.Fatalf("sign-outs logged: %+v, %v", page, err)
	}
}

func TestImpersonateWithBanner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.e.UserInSession(webtest.Admin, "s-admin")
	list := admin.Get("/sessions")
	if list.Find(`tr[data-id="s-admin"] form[action$="/impersonate"]`).Length() != 0 ||
		list.Find(`tr[data-id="s-bob"] form[action="/sessions/s-bob/impersonate"]`).Length() != 1 {
		t.Fatal("impersonate is not offered for others' sessions only")
	}
	if list.Find(".impersonating").Length() != 0 {
		t.Fatal("a banner before impersonating")
	}
	res := admin.Post("/sessions/s-bob/impersonate", url.Values{})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("impersonate: %d %s", res.Status, res.Text())
	}
	if own := f.read("s-admin"); own.GetImpersonateSessionId() != "s-bob" || own.GetOauthToken().GetRefreshToken() != "refresh-s-admin" {
		t.Fatalf("the admin's session: %v", own)
	}
	page := admin.Follow(res)
	banner := page.Find(".impersonating")
	if banner.Length() != 1 || !strings.Contains(banner.Text(), "bob@example.com") {
		t.Fatalf("banner %q", banner.Text())
	}
	// A "back" that browsers would read as another site's is not followed.
	stop := admin.Post("/impersonation/stop", url.Values{"back": {"/\t/evil.example"}})
	if stop.Status != http.StatusSeeOther || stop.Location() != "/" {
		t.Fatalf("stop: %d to %q %s", stop.Status, stop.Location(), stop.Text())
	}
	if own := f.read("s-admin"); own.ImpersonateSessionId != nil {
		t.Fatalf("still impersonating: %v", own)
	}
	if admin.Follow(stop).Find(".impersonating").Length() != 0 {
		t.Fatal("the banner stays after stopping")
	}
}

func TestSessionsTakeAdmin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.e.Grant(store.RoleManager, store.GlobalNamespaceID, store.SubjectUser, "manager@example.com")
	manager := f.e.User("manager@example.com")
	page := manager.Get("/sessions")
	if page.Status != http.StatusForbidden || len(rows(page)) != 0 || !strings.Contains(page.Find("#results-error").Text(), "admin") {
		t.Errorf("a Global manager: %d %q", page.Status, page.Find("main").Text())
	}
	if page.Find(`nav[aria-label="Main"] a[href="/sessions"]`).Length() != 0 {
		t.Error("the navigation offers sessions to a Global manager")
	}
	if res := manager.Post("/sessions/s-bob/sign-out", url.Values{}); res.Status != http.StatusForbidden || f.read("s-bob") == nil {
		t.Errorf("a Global manager signing out: %d", res.Status)
	}
}
