package routeedit_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestStaleVersionRefused saves a form read before someone else's change:
// 409, a clear message, the input kept, and the other change stays.
func TestStaleVersionRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	r := f.setRoute(&pb.Route{NamespaceId: f.ns, Name: "app", From: "https://app.example.com", To: []string{"http://app.internal"}})
	form := editForm(t, b, r.GetId(), "timeouts")

	r.Timeout = nil
	r.Description = new("changed meanwhile")
	other := f.setRoute(r)

	form.Set("timeout", "45s")
	res := b.Post("/routes/"+r.GetId(), form)
	if res.Status != http.StatusConflict {
		t.Fatalf("status %d, want 409: %s", res.Status, res.Find("main").Text())
	}
	if msg := res.Find("#page-error").Text(); !strings.Contains(msg, "changed since you opened it") {
		t.Errorf("the page does not explain the refusal: %q", msg)
	}
	if got := formOf(t, res, `form[action="/routes/`+r.GetId()+`"]`).Get("timeout"); got != "45s" {
		t.Errorf("the form lost the input: timeout is %q", got)
	}
	if res.Find(`a[href="/routes/`+r.GetId()+`?tab=timeouts"]`).Length() == 0 {
		t.Error("no link to the current version of the route")
	}
	sameRoute(t, other, f.route(r.GetId()))
}

// TestViewerReadOnly shows a viewer the route without a way to change it,
// and refuses the viewer's saves and deletes.
func TestViewerReadOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.setRoute(fullRoute(f))
	manager, viewer := f.env.User(managerEmail), f.env.User(viewerEmail)
	form := editForm(t, manager, r.GetId(), "general")

	page := viewer.Get("/routes/" + r.GetId() + "?tab=general")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	if page.Find("form fieldset[disabled]").Length() == 0 || page.Find(`main button[type="submit"]`).Length() != 0 {
		t.Error("a viewer sees an editable form or a button")
	}
	if !strings.Contains(page.Find("#read-only").Text(), "manager role") {
		t.Errorf("no note says why the route is read-only: %q", page.Find("#read-only").Text())
	}

	form.Set("description", "by a viewer")
	if res := viewer.Post("/routes/"+r.GetId(), form); res.Status != http.StatusForbidden {
		t.Errorf("viewer save: status %d, want 403", res.Status)
	}
	if res := viewer.Post("/routes/"+r.GetId()+"/delete", url.Values{}); res.Status != http.StatusForbidden {
		t.Errorf("viewer delete: status %d, want 403", res.Status)
	}
	sameRoute(t, r, f.route(r.GetId()))

	if res := f.env.User("stranger@example.com").Get("/routes/" + r.GetId()); res.Status != http.StatusNotFound {
		t.Errorf("a stranger opens the route: status %d, want 404", res.Status)
	}
}

// TestKubernetesRouteReadOnly shows a route that mirrors a Kubernetes
// object read-only, naming the object, and refuses changes.
func TestKubernetesRouteReadOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	kr := put(t, f.env.Store, store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes}, &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: f.ns, Name: "from-kube", OriginRef: "Ingress default/app"},
		Spec:       fullRouteSpec(t, f),
	})
	b := f.env.User(managerEmail)
	before := f.route(kr.ID)
	for _, tab := range []string{"general", "tls", "lb"} {
		page := b.Get("/routes/" + kr.ID + "?tab=" + tab)
		if page.Status != http.StatusOK {
			t.Fatalf("status %d: %s", page.Status, page.Text())
		}
		if !strings.Contains(page.Find("#read-only").Text(), "Ingress default/app") {
			t.Errorf("%s: the note does not name the Kubernetes object: %q", tab, page.Find("#read-only").Text())
		}
		if page.Find("form fieldset[disabled]").Length() == 0 || page.Find(`main button[type="submit"]`).Length() != 0 {
			t.Errorf("%s: a Kubernetes route is editable", tab)
		}
		if !strings.Contains(page.Find("main .actions").Text(), "Kubernetes") {
			t.Errorf("%s: the header does not show the origin", tab)
		}
	}
	form := url.Values{"tab": {"general"}, "expected_version": {strconv.FormatInt(before.GetVersion(), 10)},
		"name": {"renamed"}, "namespace_id": {f.ns}, "from": {before.GetFrom()}, "action": {"to"}, "to": {"http://x.internal"}}
	if res := b.Post("/routes/"+kr.ID, form); res.Status != http.StatusConflict {
		t.Errorf("save: status %d, want 409", res.Status)
	}
	if res := b.Post("/routes/"+kr.ID+"/delete", url.Values{}); res.Status != http.StatusConflict {
		t.Errorf("delete: status %d, want 409", res.Status)
	}
	sameRoute(t, before, f.route(kr.ID))
}

// TestCSRFRequired refuses forms without the session's CSRF token.
func TestCSRFRequired(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	r := f.setRoute(&pb.Route{NamespaceId: f.ns, Name: "app", From: "https://app.example.com", To: []string{"http://app.internal"}})
	form := editForm(t, b, r.GetId(), "general")
	form.Set("description", "forged")
	for _, tok := range []string{"", "forged-token"} {
		form.Set("csrf_token", tok)
		if res := b.Post("/routes/"+r.GetId(), form); res.Status != http.StatusForbidden {
			t.Errorf("save with token %q: status %d, want 403", tok, res.Status)
		}
		if res := b.Post("/routes/"+r.GetId()+"/delete", url.Values{"csrf_token": {tok}}); res.Status != http.StatusForbidden {
			t.Errorf("delete with token %q: status %d, want 403", tok, res.Status)
		}
		create := url.Values{"csrf_token": {tok}, "namespace_id": {f.ns}, "name": {"new"}, "from": {"https://new.example.com"},
			"action": {"to"}, "to": {"http://new.internal"}}
		if res := b.Post("/routes/new", create); res.Status != http.StatusForbidden {
			t.Errorf("create with token %q: status %d, want 403", tok, res.Status)
		}
	}
	sameRoute(t, r, f.route(r.GetId()))
	if n := f.count(f.ns); n != 1 {
		t.Errorf("%d routes after forged creates, want 1", n)
	}
}

// TestDeleteByManager deletes a route and goes back to the namespace's
// list of routes.
func TestDeleteByManager(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	r := f.setRoute(&pb.Route{NamespaceId: f.ns, Name: "app", From: "https://app.example.com", To: []string{"http://app.internal"}})
	page := b.Get("/routes/" + r.GetId())
	del := page.Find(`form[action="/routes/` + r.GetId() + `/delete"]`)
	if del.Length() != 1 || del.AttrOr("data-confirm", "") == "" {
		t.Fatal("no delete form asking for confirmation")
	}
	res := b.Post("/routes/"+r.GetId()+"/delete", url.Values{})
	if res.Status != http.StatusSeeOther || res.Location() != "/routes?namespace="+f.ns {
		t.Fatalf("delete: status %d to %q: %s", res.Status, res.Location(), res.Text())
	}
	_, err := f.env.App.GetRoute(f.ctx, f.admin(), r.GetId())
	if manage.CodeOf(err) != manage.CodeNotFound {
		t.Errorf("route after delete: %v, want not found", err)
	}
}
