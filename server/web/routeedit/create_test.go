package routeedit_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestCreateThenEveryTab creates a route through the form, fills in every
// other tab through its form, and reads the route back through the service:
// every field the forms offer arrives as written.
func TestCreateThenEveryTab(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)

	page := b.Get("/routes/new?namespace=" + f.ns)
	if page.Status != http.StatusOK {
		t.Fatalf("new route page: status %d: %s", page.Status, page.Text())
	}
	if n := page.Find(`#f-policy_ids option[value="` + f.policyA + `"], #f-policy_ids option[value="` + f.policyB + `"]`).Length(); n != 2 {
		t.Errorf("the policy choice offers %d of the namespace's and Global's policies, want 2", n)
	}
	form := formOf(t, page, `form[action="/routes/new"]`)
	set(form, map[string]string{
		"name": "app", "description": "The app", "logo_url": "https://example.com/logo.png", "stat_name": "app_stat",
		"from": "https://app.example.com", "action": "to", "to": "http://app1.internal:8080\r\nhttp://app2.internal:8080",
		"depends_on": "other.example.com", "allow_upgrades": "websocket", "pass_identity_headers": "false",
		"allow_websockets": "on", "allow_spdy": "on", "preserve_host_header": "on",
		"enable_google_cloud_serverless_authentication": "on", "show_error_details": "on", "session_recording": "on",
		"upstream_tunnel_ssh_policy_id": f.policyB, "idp_client_id": "client-id", "idp_client_secret": "s3cret",
		"idp_access_token_allowed_audiences": "aud1\naud2",
	})
	form["policy_ids"] = []string{f.policyA, f.policyB}
	res := b.Post("/routes/new", form)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("create: status %d: %s", res.Status, res.Text())
	}
	loc, err := url.Parse(res.Location())
	if err != nil || loc.Query().Get("tab") != "matchers" {
		t.Fatalf("create redirects to %q, want the route's matchers tab", res.Location())
	}
	id := strings.TrimPrefix(loc.Path, "/routes/")
	if next := b.Follow(res); !strings.Contains(next.Find(".notice").Text(), "Created route app") {
		t.Errorf("no notice of the creation on %s:\n%s", res.Location(), next.Find("main").Text())
	}

	for _, tab := range []struct {
		key    string
		values map[string]string
	}{
		{"matchers", map[string]string{
			"prefix": "/api", "path": "/api/exact", "regex": "^/api/.*$", "regex_priority_order": "5",
			"regex_rewrite_pattern": "^/api/(.*)$", "regex_rewrite_substitution": `/\1`,
			"host_rewrite": "internal.example.com", "host_rewrite_header": "X-Host",
			"host_path_regex_rewrite_pattern": "^/(.+)/.*$", "host_path_regex_rewrite_substitution": `\1`,
		}},
		{"timeouts", map[string]string{"timeout": "30s", "idle_timeout": "5m"}},
		{"headers", map[string]string{
			"set_request_headers": "X-A: 1\r\nX-B: two words", "remove_request_headers": "X-Remove",
			"set_response_headers":     "X-Frame-Options: DENY",
			"rewrite_response_headers": "Location: http://internal/ => https://app.example.com/\nX-Plain: value",
			"jwt_issuer_format":        "IssuerURI", "bearer_token_format": "BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN",
			"jwt_groups_filter_groups": "admins\nusers", "jwt_groups_filter_infer_from_ppl": "true",
			"kubernetes_service_account_token": "k8s-token",
		}},
		{"tls", map[string]string{
			"tls_skip_verify": "on", "tls_upstream_server_name": "app.internal", "tls_downstream_server_name": "app.example.com",
			"tls_custom_ca_key_pair_id": f.caKeyPair, "tls_client_key_pair_id": f.clientKP,
			"tls_downstream_client_ca_key_pair_id": f.caKeyPair, "tls_upstream_allow_renegotiation": "on",
		}},
		{"lb", map[string]string{
			"load_balancing_policy": "LOAD_BALANCING_POLICY_LEAST_REQUEST", "weight_0": "1", "weight_1": "3",
			"healthy_panic_threshold":                    "50",
			"circuit_breaker_thresholds_max_connections": "1", "circuit_breaker_thresholds_max_pending_requests": "2",
			"circuit_breaker_thresholds_max_requests": "3", "circuit_breaker_thresholds_max_retries": "4",
			"circuit_breaker_thresholds_max_connection_pools": "5",
			"health_checks": `[{"timeout": "5s", "interval": "10s", "unhealthyThreshold": 3, "healthyThreshold": 1, "httpHealthCheck": {"path": "/healthz"}}]`,
		}},
	} {
		form := editForm(t, b, id, tab.key)
		set(form, tab.values)
		res := b.Post("/routes/"+id, form)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("save tab %s: status %d: %s", tab.key, res.Status, res.Find("main").Text())
		}
	}

	got := f.route(id)
	want := fullRoute(f)
	sameRoute(t, want, got)
	if got.GetSyncStatus().GetOrigin() != "ui" {
		t.Errorf("route origin %q, want ui", got.GetSyncStatus().GetOrigin())
	}
}

// set overwrites fields of a form.
func set(form url.Values, values map[string]string) {
	for k, v := range values {
		form.Set(k, v)
	}
}

// TestNewRouteNamespace asks for the namespace first, offers only those
// the viewer manages, and refuses others.
func TestNewRouteNamespace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	page := b.Get("/routes/new")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d: %s", page.Status, page.Text())
	}
	chooser := page.Find(`form[method="get"][action="/routes/new"] select[name="namespace"] option`)
	if chooser.Length() != 1 || chooser.AttrOr("value", "") != f.ns {
		t.Errorf("the chooser offers %d namespaces, want only team (the manager only views Global)", chooser.Length())
	}
	if res := b.Get("/routes/new?namespace=" + store.GlobalNamespaceID); res.Status != http.StatusForbidden {
		t.Errorf("new route in Global for its viewer: status %d, want 403", res.Status)
	}
	if res := f.env.User(viewerEmail).Get("/routes/new"); res.Status != http.StatusForbidden {
		t.Errorf("new route for a viewer: status %d, want 403", res.Status)
	}
	form := url.Values{"namespace_id": {store.GlobalNamespaceID}, "name": {"app"}, "from": {"https://app.example.com"},
		"action": {"to"}, "to": {"http://app.internal"}}
	if res := b.Post("/routes/new", form); res.Status != http.StatusForbidden {
		t.Errorf("create in Global for its viewer: status %d, want 403", res.Status)
	}
	if n := f.count(store.GlobalNamespaceID); n != 0 {
		t.Errorf("%d routes in Global after a refused create, want 0", n)
	}
}

// TestCreateRefusedKeepsInput shows the service's refusal of a new route
// next to the field, with everything written kept.
func TestCreateRefusedKeepsInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	f.setRoute(&pb.Route{NamespaceId: f.ns, Name: "taken", From: "https://taken.example.com", To: []string{"http://taken.internal"}})
	for _, tc := range []struct{ field, value, want string }{
		{"from", "ftp://app.example.com", `from: scheme "ftp" is not one of`},
		{"name", "taken", `name: a route named "taken" already exists`},
		{"to", "", "to: a route needs to, redirect or response"},
		{"response_status", "200", `response_status: applies only when the route's action is "response"`},
	} {
		page := b.Get("/routes/new?namespace=" + f.ns)
		form := formOf(t, page, `form[action="/routes/new"]`)
		set(form, map[string]string{"name": "app", "from": "https://app.example.com", "to": "http://app.internal", "description": "kept"})
		form.Set(tc.field, tc.value)
		res := b.Post("/routes/new", form)
		if res.Status < 400 {
			t.Errorf("%s=%q: status %d, want a refusal", tc.field, tc.value, res.Status)
			continue
		}
		if got := fieldError(res, tc.field); !strings.Contains(got, tc.want) {
			t.Errorf("%s=%q: error next to the field %q, want %q (page: %q)", tc.field, tc.value, got, tc.want, res.Find("main .error").Text())
		}
		if got := formOf(t, res, `form[action="/routes/new"]`).Get("description"); got != "kept" {
			t.Errorf("%s=%q: the form lost the input: description %q", tc.field, tc.value, got)
		}
	}
	if n := f.count(f.ns); n != 1 {
		t.Errorf("%d routes after refused creates, want 1", n)
	}
}

// TestReconcilerFindingNextToField shows the reconciler's refusal of the
// route's current version next to the field it is about.
func TestReconcilerFindingNextToField(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.setRoute(&pb.Route{NamespaceId: f.ns, Name: "app", From: "https://app.example.com", To: []string{"http://app.internal"}})
	err := f.env.Store.SetStatus(t.Context(), []store.ObjectStatus{{Kind: store.KindRoute, ID: r.GetId(), State: store.SyncError,
		ObjectVersion: r.GetVersion(), Field: "spec.from", Reason: "claims the same from, prefix, path and regex as route other"}})
	if err != nil {
		t.Fatal(err)
	}
	page := f.env.User(managerEmail).Get("/routes/" + r.GetId())
	if got := fieldError(page, "from"); !strings.Contains(got, "claims the same from") {
		t.Errorf("error next to from: %q", got)
	}
	if !strings.Contains(page.Find("main .actions").Text(), "error") {
		t.Errorf("the header does not show the sync error: %q", page.Find("main .actions").Text())
	}
	if res := f.env.User(managerEmail).Get("/routes/" + r.GetId() + "?tab=nonsense"); res.Status != http.StatusNotFound {
		t.Errorf("unknown tab: status %d, want 404", res.Status)
	}
}

// TestCreateWithoutNamespaceIsBadRequest: a new-route form posted without
// a namespace is the form's mistake (400), not a lack of role.
func TestCreateWithoutNamespaceIsBadRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	form := url.Values{"namespace_id": {""}, "name": {"app"}, "from": {"https://app.example.com"}, "action": {"to"}, "to": {"http://app.internal"}}
	res := b.Post("/routes/new", form)
	if res.Status != http.StatusBadRequest {
		t.Errorf("status %d, want 400: %s", res.Status, res.Find("main").Text())
	}
	if !strings.Contains(res.Find("#page-error").Text(), "Choose the namespace") {
		t.Errorf("the page does not ask for a namespace: %q", res.Find("#page-error").Text())
	}
	if n := f.count(f.ns); n != 0 {
		t.Errorf("%d routes after a refused create, want 0", n)
	}
}

// TestNewRouteInHiddenNamespaceNotFound answers a namespace the viewer
// cannot see as the services do, 404, without naming it; a namespace the
// viewer sees without the manager role stays 403.
func TestNewRouteInHiddenNamespaceNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := put(t, f.env.Store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "other"}})
	const outsider = "outsider@example.com"
	f.env.Grant(store.RoleManager, other.ID, store.SubjectUser, outsider)
	b := f.env.User(outsider)
	wantHidden := func(what string, res *webtest.Response) {
		t.Helper()
		if res.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", what, res.Status)
		}
		if msg := res.Find("#page-error").Text(); !strings.Contains(msg, "namespace "+f.ns+" not found") {
			t.Errorf("%s: the page says %q, want the namespace not found", what, msg)
		}
		if strings.Contains(res.Source(), "team") {
			t.Errorf("%s: the page names the hidden namespace", what)
		}
	}
	wantHidden("new route page", b.Get("/routes/new?namespace="+f.ns))
	form := url.Values{"namespace_id": {f.ns}, "name": {"app"}, "from": {"https://app.example.com"}, "action": {"to"}, "to": {"http://app.internal"}}
	wantHidden("create", b.Post("/routes/new", form))
	if n := f.count(f.ns); n != 0 {
		t.Errorf("%d routes after a refused create, want 0", n)
	}

	f.env.Grant(store.RoleViewer, f.ns, store.SubjectUser, outsider)
	res := b.Get("/routes/new?namespace=" + f.ns)
	if res.Status != http.StatusForbidden || !strings.Contains(res.Find("#page-error").Text(), "Global / team") {
		t.Errorf("a namespace the viewer sees: status %d, %q; want 403 naming it", res.Status, res.Find("#page-error").Text())
	}
}
