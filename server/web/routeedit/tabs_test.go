package routeedit_test

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestSaveTabUnchangedKeepsRoute saves every tab as shown: the route,
// secrets, unset fields and list order included, stays as it was.
func TestSaveTabUnchangedKeepsRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	before := f.setRoute(fullRoute(f))
	for _, tab := range []string{"general", "matchers", "timeouts", "headers", "tls", "lb"} {
		res := b.Post("/routes/"+before.GetId(), editForm(t, b, before.GetId(), tab))
		if res.Status != http.StatusSeeOther {
			t.Fatalf("save tab %s unchanged: status %d: %s", tab, res.Status, res.Find("main").Text())
		}
		sameRoute(t, before, f.route(before.GetId()))
	}
}

// TestEditTabChangesOnlyItsFields changes one thing on each tab: the route
// then differs from before by exactly that.
func TestEditTabChangesOnlyItsFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	for _, tc := range []struct {
		tab    string
		values map[string]string
		want   func(*pb.Route)
	}{
		{"general", map[string]string{"description": "Changed", "pass_identity_headers": "", "allow_spdy": ""},
			// Unchecking a set flag makes it false, which reads back set.
			func(r *pb.Route) { r.Description, r.PassIdentityHeaders, r.AllowSpdy = new("Changed"), nil, new(false) }},
		{"matchers", map[string]string{"prefix_rewrite": "/v1", "regex_rewrite_pattern": "", "regex_rewrite_substitution": ""},
			func(r *pb.Route) {
				r.PrefixRewrite, r.RegexRewritePattern, r.RegexRewriteSubstitution = new("/v1"), nil, nil
			}},
		{"timeouts", map[string]string{"timeout": "1m", "idle_timeout": ""},
			func(r *pb.Route) { r.Timeout, r.IdleTimeout = durationpb.New(60e9), nil }},
		{"headers", map[string]string{"set_request_headers": "X-C: 3", "kubernetes_service_account_token_clear": "on"},
			func(r *pb.Route) {
				r.SetRequestHeaders, r.KubernetesServiceAccountToken = map[string]string{"X-C": "3"}, nil
			}},
		{"tls", map[string]string{"tls_skip_verify": "", "tls_client_key_pair_id": ""},
			func(r *pb.Route) { r.TlsSkipVerify, r.TlsClientKeyPairId = new(false), nil }},
		{"lb", map[string]string{"weight_1": "7", "health_checks": ""},
			func(r *pb.Route) { r.To[1], r.HealthChecks = "http://app2.internal:8080,7", nil }},
	} {
		in := fullRoute(f)
		in.Name = "app on " + tc.tab
		before := f.setRoute(in)
		form := editForm(t, b, before.GetId(), tc.tab)
		for k, v := range tc.values {
			if v == "" {
				form.Del(k)
			}
			if v != "" || strings.HasPrefix(k, "weight") {
				form.Set(k, v)
			}
		}
		res := b.Post("/routes/"+before.GetId(), form)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("%s: status %d: %s", tc.tab, res.Status, res.Find("main").Text())
		}
		if want := "/routes/" + before.GetId() + "?tab=" + tc.tab; res.Location() != want {
			t.Errorf("%s: redirects to %q, want %q", tc.tab, res.Location(), want)
		}
		want := proto.CloneOf(before)
		tc.want(want)
		sameRoute(t, want, f.route(before.GetId()))
	}
}

// TestGeneralActions switches a route between proxying, redirecting and
// answering: the action chosen is set, the others are cleared.
func TestGeneralActions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	r := f.setRoute(&pb.Route{NamespaceId: f.ns, Name: "app", From: "https://app.example.com", To: []string{"http://app.internal"}})
	steps := []struct {
		values map[string]string
		check  func(*pb.Route) bool
	}{
		{map[string]string{"action": "redirect", "to": "", "redirect_https": "on", "redirect_host": "new.example.com",
			"redirect_response_code": "FOUND", "redirect_strip_query": "on"},
			func(r *pb.Route) bool {
				rd := r.GetRedirect()
				return r.To == nil && rd.GetHttpsRedirect() && rd.GetHostRedirect() == "new.example.com" &&
					rd.GetResponseCode() == pb.RedirectAction_FOUND && rd.GetStripQuery()
			}},
		{map[string]string{"action": "response", "response_status": "404", "response_body": "gone"},
			func(r *pb.Route) bool {
				return r.Redirect == nil && r.To == nil && r.GetResponse().GetStatus() == 404 && r.GetResponse().GetBody() == "gone"
			}},
		{map[string]string{"action": "to", "to": "http://back.internal"},
			func(r *pb.Route) bool {
				return r.Redirect == nil && r.Response == nil && len(r.To) == 1 && r.To[0] == "http://back.internal"
			}},
	}
	for i, step := range steps {
		form := editForm(t, b, r.GetId(), "general")
		set(form, step.values)
		if res := b.Post("/routes/"+r.GetId(), form); res.Status != http.StatusSeeOther {
			t.Fatalf("step %d: status %d: %s", i, res.Status, res.Find("main").Text())
		}
		if got := f.route(r.GetId()); !step.check(got) {
			t.Errorf("step %d: route is %v", i, got)
		}
	}
}

// TestInvalidInputPerTab posts a mistake on each tab: the page says what is
// wrong next to the field, keeps what was written, and nothing changes.
func TestInvalidInputPerTab(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	before := f.setRoute(fullRoute(f))
	for _, tc := range []struct {
		tab, field, value, want string
	}{
		{"general", "from", "app.example.com", `from: "app.example.com" has no scheme`},
		{"general", "from", "https://app.example.com/path", "has a path"},
		{"general", "to", "http://ok.internal\nftp://bad.internal", "to: line 2: scheme \"ftp\""},
		{"general", "name", "", "name: is required"},
		{"general", "redirect_port", "70000", "redirect_port: applies only when the route's action is \"redirect\""},
		{"matchers", "regex", "(", "regex: error parsing regexp"},
		{"matchers", "prefix", "api", `prefix: "api" must start with /`},
		{"matchers", "regex_priority_order", "first", `regex_priority_order: "first" is not a whole number`},
		{"timeouts", "timeout", "abc", `timeout: not a duration: "abc"`},
		{"timeouts", "idle_timeout", "-1s", "idle_timeout: must not be negative"},
		{"headers", "set_request_headers", "X-A: 1\n\nno colon here", `set_request_headers: line 3: "no colon here" is not "Name: value"`},
		{"headers", "set_response_headers", "X-A: 1\nx-a: 2", "line 2: header x-a is already on line 1"},
		{"headers", "remove_request_headers", "Bad Header", `remove_request_headers: line 1: "Bad Header" is not a valid header name`},
		{"headers", "jwt_issuer_format", "Nonsense", `jwt_issuer_format: "Nonsense" is not one of the choices`},
		{"headers", "kubernetes_service_account_token_file", "/var/token", "kubernetes_service_account_token: set either"},
		{"lb", "weight_0", "0", "weight of http://app1.internal:8080: \"0\" is not a whole number"},
		{"lb", "healthy_panic_threshold", "101", `healthy_panic_threshold: "101" is not a whole number from 0 to 100`},
		{"lb", "circuit_breaker_thresholds_max_retries", "-1", "circuit_breaker_thresholds_max_retries:"},
		{"lb", "health_checks", `[{"timeout": 5}]`, "health_checks: health check 1:"},
	} {
		form := editForm(t, b, before.GetId(), tc.tab)
		form.Set(tc.field, tc.value)
		res := b.Post("/routes/"+before.GetId(), form)
		if res.Status != http.StatusBadRequest {
			t.Errorf("%s %s=%q: status %d, want 400", tc.tab, tc.field, tc.value, res.Status)
			continue
		}
		errField := tc.field
		if tc.field == "kubernetes_service_account_token_file" {
			errField = "kubernetes_service_account_token"
		}
		if got := fieldError(res, errField); !strings.Contains(got, tc.want) {
			t.Errorf("%s %s=%q: error next to the field is %q, want %q; page says %q", tc.tab, tc.field, tc.value, got, tc.want,
				res.Find("main .error").Text())
		}
		// A select shows only its choices: a value it does not offer was forged.
		forged := tc.field == "jwt_issuer_format"
		if kept := formOf(t, res, `form[action="/routes/`+before.GetId()+`"]`).Get(tc.field); kept != tc.value && !forged {
			t.Errorf("%s %s: the form shows %q after the refusal, want the input %q", tc.tab, tc.field, kept, tc.value)
		}
		if got := f.route(before.GetId()); got.GetVersion() != before.GetVersion() {
			t.Errorf("%s %s=%q: the route changed:\n%v", tc.tab, tc.field, tc.value, got)
		}
	}
}

// TestGeneralMovesNamespace moves a route to another namespace the manager
// manages, from the general tab.
func TestGeneralMovesNamespace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sub := put(t, f.env.Store, store.Actor{Subject: "test", Origin: store.OriginAPI},
		&store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: f.ns, Name: "sub"}})
	b := f.env.User(managerEmail)
	r := f.setRoute(&pb.Route{NamespaceId: f.ns, Name: "app", From: "https://app.example.com", To: []string{"http://app.internal"}})
	page := b.Get("/routes/" + r.GetId())
	if page.Find(`#f-namespace_id option[value="`+store.GlobalNamespaceID+`"]`).Length() != 0 {
		t.Error("the namespace choice offers Global, where the manager is a viewer")
	}
	form := formOf(t, page, `form[action="/routes/`+r.GetId()+`"]`)
	form.Set("namespace_id", sub.ID)
	if res := b.Post("/routes/"+r.GetId(), form); res.Status != http.StatusSeeOther {
		t.Fatalf("status %d: %s", res.Status, res.Find("main").Text())
	}
	want := proto.CloneOf(r)
	want.NamespaceId = sub.ID
	sameRoute(t, want, f.route(r.GetId()))
}

// TestWeightsErrorDescribesTheFields: the refusal of the weights as a
// whole is tied to every weight field, as each field's own error is.
func TestWeightsErrorDescribesTheFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.User(managerEmail)
	r := f.setRoute(fullRoute(f))
	form := editForm(t, b, r.GetId(), "lb")
	form.Set("weight_0", "")
	res := b.Post("/routes/"+r.GetId(), form)
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", res.Status, res.Find("main").Text())
	}
	if got := fieldError(res, "weights"); !strings.Contains(got, "give every upstream URL a weight, or none") {
		t.Errorf("the weights' error %q", got)
	}
	for _, field := range []string{"weight_0", "weight_1"} {
		in := res.Find("#f-" + field)
		if in.AttrOr("aria-invalid", "") != "true" || !strings.Contains(in.AttrOr("aria-describedby", ""), "e-weights") {
			t.Errorf("%s: aria-invalid=%q aria-describedby=%q, want tied to #e-weights", field,
				in.AttrOr("aria-invalid", ""), in.AttrOr("aria-describedby", ""))
		}
	}
	sameRoute(t, r, f.route(r.GetId()))
}
