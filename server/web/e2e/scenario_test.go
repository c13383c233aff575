package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestScenario is a person's first session: sign in with a recovery token
// (by keyboard), create a namespace, a policy with the builder, a route that
// uses it, watch the route turn "synced" once the reconciler has written it
// to the databroker, and find the change in the activity log with its diff.
func TestScenario(t *testing.T) {
	t.Parallel()
	c := startConsole(t)
	ctx := chromium(t)
	acceptDialogs(ctx)

	// Sign in: the token field has focus; type the token and press Enter.
	tok, err := c.auth.IssueRecoveryToken(t.Context(), store.GlobalNamespaceID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "sign in by keyboard",
		chromedp.Navigate(c.url+"/routes"),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
		chromedp.KeyEvent(tok+"\r"),
		chromedp.WaitVisible(`nav[aria-label="Main"]`, chromedp.ByQuery),
	)
	if got := location(t, ctx); !strings.HasPrefix(got.Path, "/routes") {
		t.Fatalf("after sign-in the browser is at %s, want back at /routes", got)
	}

	// A namespace under Global.
	run(t, ctx, "create a namespace",
		chromedp.Navigate(c.url+"/namespaces/"+store.GlobalNamespaceID),
		chromedp.SendKeys("#create-name", "Platform", chromedp.ByQuery),
		chromedp.Click(`form[action$="/children"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#notice", chromedp.ByQuery),
	)
	var href string
	run(t, ctx, "find the new namespace", chromedp.Evaluate(
		`([...document.querySelectorAll("main a")].find(a => a.textContent.trim() === "Platform") || {getAttribute: () => ""}).getAttribute("href")`, &href))
	nsID := strings.TrimPrefix(href, "/namespaces/")
	if ns, err := store.Get[*store.Namespace](t.Context(), c.store, nsID); err != nil || ns.Name != "Platform" || ns.Origin != store.OriginUI {
		t.Fatalf("namespace %s: %+v, %v", nsID, ns, err)
	}

	// A policy from the builder: email ends with @example.com. Typing bad PPL
	// first shows the validation as you type (htmx, under the CSP).
	run(t, ctx, "type bad PPL",
		chromedp.Navigate(c.url+"/policies/new?namespace="+nsID),
		chromedp.SendKeys("#ppl", "allow: {and: [{email: {equals: x}}]}", chromedp.ByQuery),
		chromedp.WaitVisible("#ppl-error", chromedp.ByQuery),
	)
	if msg := text(t, ctx, "#ppl-error"); !strings.Contains(msg, "equals") {
		t.Fatalf("validation as you type says %q, want the unknown matcher named", msg)
	}
	run(t, ctx, "build a policy",
		chromedp.SetValue("#name", "Staff", chromedp.ByQuery),
		chromedp.SetValue(`select[name="b_crit"]`, "email", chromedp.ByQuery),
		chromedp.SetValue(`select[name="b_match"]`, "ends_with", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="b_value"]`, "@example.com", chromedp.ByQuery),
		chromedp.Click(`button[value="generate"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ppl-check .badge.ok`, chromedp.ByQuery),
	)
	var ppl string
	run(t, ctx, "read the PPL", chromedp.Value("#ppl", &ppl, chromedp.ByQuery))
	if !strings.Contains(ppl, "ends_with") || !strings.Contains(ppl, "@example.com") {
		t.Fatalf("generated PPL %q", ppl)
	}
	run(t, ctx, "save the policy",
		chromedp.Click(`button[value="save"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#notice", chromedp.ByQuery),
	)
	policyID := strings.TrimPrefix(location(t, ctx).Path, "/policies/")

	// A route using it.
	run(t, ctx, "create a route",
		chromedp.Navigate(c.url+"/routes/new?namespace="+nsID),
		chromedp.SendKeys("#f-name", "intranet", chromedp.ByQuery),
		chromedp.SendKeys("#f-from", "https://intranet.example.com", chromedp.ByQuery),
		chromedp.SendKeys("#f-to", "http://intranet.internal:8080", chromedp.ByQuery),
		chromedp.SetAttributeValue(`#f-policy_ids option[value="`+policyID+`"]`, "selected", "selected", chromedp.ByQuery),
		chromedp.Click(`form[action="/routes/new"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#notice", chromedp.ByQuery),
	)
	routeID := strings.TrimPrefix(location(t, ctx).Path, "/routes/")
	r, err := store.Get[*store.Route](t.Context(), c.store, routeID)
	if err != nil || r.Spec.GetFrom() != "https://intranet.example.com" || len(r.Spec.GetPolicyIds()) != 1 || r.Spec.GetPolicyIds()[0] != policyID {
		t.Fatalf("route %s: %+v, %v", routeID, r, err)
	}

	// The routes list shows it synced once the loop has written its record.
	listURL := c.url + "/routes?namespace=" + nsID
	var row string
	wait.For(t, "the route to turn synced", 30*time.Second, func() bool {
		run(t, ctx, "read the routes list", chromedp.Navigate(listURL), chromedp.WaitVisible("main h1", chromedp.ByQuery),
			chromedp.Evaluate(`[...document.querySelectorAll("tbody tr")].map(tr => tr.innerText).find(t => t.includes("intranet")) || ""`, &row))
		return strings.Contains(row, "synced")
	})
	rec, err := c.broker.RPC().Get(t.Context(), &databrokerpb.GetRequest{Type: "type.googleapis.com/pomerium.config.Route", Id: routeID})
	if err != nil || rec.GetRecord().GetDeletedAt() != nil {
		t.Fatalf("the databroker has no record of the route: %v, %v", rec, err)
	}

	// The activity log has the route's creation, with its diff.
	run(t, ctx, "open the activity log",
		chromedp.Navigate(c.url+"/activity?entity_type=route&q=intranet"),
		chromedp.Click(`tbody a[href^="/activity/"]`, chromedp.ByQuery),
		chromedp.WaitVisible("pre.diff", chromedp.ByQuery),
	)
	diff := text(t, ctx, "pre.diff")
	if !strings.Contains(diff, "intranet.example.com") {
		t.Fatalf("the entry's diff does not show the route:\n%s", diff)
	}
	var added int
	run(t, ctx, "count added lines", chromedp.Evaluate(`document.querySelectorAll("pre.diff .add").length`, &added))
	if added == 0 {
		t.Fatal("the diff marks no line as added")
	}
	if who := text(t, ctx, "main"); !strings.Contains(who, "recovery:") {
		t.Fatalf("the entry does not name who made the change:\n%s", who)
	}
}

// acceptDialogs answers every confirm() with OK, as a person confirming a
// destructive or replacing action does.
func acceptDialogs(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
		}
	})
}

// location is the page's current URL.
func location(t *testing.T, ctx context.Context) *url.URL {
	t.Helper()
	var loc string
	run(t, ctx, "read the location", chromedp.Location(&loc))
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
