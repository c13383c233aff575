package namespaces_test

import (
	"net/http"
	"strings"
	"testing"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/api/userpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestFindPeopleToGrant: the permissions screen finds people and groups
// only Pomerium's databroker knows, and fills the grant form with one.
func TestFindPeopleToGrant(t *testing.T) {
	t.Parallel()
	broker := webtest.Databroker(t)
	e := webtest.New(t, webtest.Embedded(t), webtest.Options{Databrokers: manage.DatabrokerFunc(func(string) (databrokerpb.DataBrokerServiceClient, error) {
		return broker.RPC(), nil
	})})
	team := mkns(t, e.Store, store.GlobalNamespaceID, "Team")
	ops, _ := structpb.NewStruct(map[string]any{"id": "g-ops", "name": "Dave's operators"})
	webtest.PutRecord(t, broker, "type.googleapis.com/user.User", "u-dave", &userpb.User{Id: "u-dave", Name: "Dave Bowman", Email: "dave@example.com"})
	webtest.PutRecord(t, broker, "pomerium.io/DirectoryGroup", "g-ops", ops)
	b := admin(e)
	page := b.Get("/namespaces/" + team + "/permissions?find=dave")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	found := page.Find("#found li")
	if found.Length() != 2 || !strings.Contains(found.Eq(0).Text(), "dave@example.com (Dave Bowman)") || !strings.Contains(found.Eq(1).Text(), "Dave's operators") {
		t.Fatalf("found %q", found.Text())
	}
	link, _ := found.Eq(1).Find("a").Attr("href")
	form := b.Get(link)
	if v, _ := form.Find("#grant-subject").Attr("value"); v != "g-ops" || form.Find(`#grant-type option[value="group"][selected]`).Length() != 1 {
		t.Fatalf("the grant form after choosing the group: subject %q", v)
	}
	if none := b.Get("/namespaces/" + team + "/permissions?find=nobody"); !strings.Contains(none.Find("#found").Text(), "Nobody") {
		t.Errorf("a search that finds nothing: %q", none.Find("#found").Text())
	}
	// A viewer, who may not grant, is not offered the search.
	e.Grant(store.RoleViewer, team, store.SubjectUser, "viewer@example.com")
	if v := e.User("viewer@example.com").Get("/namespaces/" + team + "/permissions?find=dave"); v.Find("#find").Length() != 0 || v.Find("#found").Length() != 0 {
		t.Error("a viewer is offered the search")
	}
}
