package e2e

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestClusterLifecycle: in a real browser, an admin fills the form that
// adds a cluster, tests its connection (the databroker answers, nothing is
// saved, the secret is not sent back), pastes the secret again and adds
// it; the list shows it; the delete link leads to a confirmation that says
// what goes, and confirming deletes it. No page ever holds the secret.
func TestClusterLifecycle(t *testing.T) {
	t.Parallel()
	c := startConsole(t)
	brokerURL, secret := webtest.DatabrokerServer(t)
	b64 := base64.StdEncoding.EncodeToString(secret)
	ctx := chromium(t)
	c.signIn(t, ctx)
	noSecret := func(page string) {
		t.Helper()
		var html string
		run(t, ctx, "read "+page, chromedp.OuterHTML("html", &html, chromedp.ByQuery))
		if strings.Contains(html, b64) {
			t.Errorf("%s holds the shared secret", page)
		}
	}

	run(t, ctx, "open the add form from the list",
		chromedp.Navigate(c.url+"/clusters"),
		chromedp.Click(`a[href="/clusters/new"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#name", chromedp.ByQuery),
		chromedp.SendKeys("#name", "east", chromedp.ByQuery),
		chromedp.SendKeys("#databroker_service_url", brokerURL, chromedp.ByQuery),
		chromedp.SendKeys("#shared_secret", b64, chromedp.ByQuery),
		chromedp.Click(`button[value="test"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#test-result", chromedp.ByQuery),
	)
	if msg := text(t, ctx, "#test-result"); !strings.Contains(msg, "answered") {
		t.Errorf("the test says %q", msg)
	}
	var secretShown, nameShown string
	run(t, ctx, "read the tested form", chromedp.Value("#shared_secret", &secretShown, chromedp.ByQuery), chromedp.Value("#name", &nameShown, chromedp.ByQuery))
	if secretShown != "" || nameShown != "east" {
		t.Errorf("after the test the secret input holds %d characters and the name %q", len(secretShown), nameShown)
	}
	noSecret("the tested form")
	if got, err := c.store.List(t.Context(), store.KindCluster, store.ListQuery{}); err != nil || len(got.Objects) != 0 {
		t.Fatalf("testing the connection stored %v, %v", got, err)
	}
	for _, dark := range []bool{false, true} {
		run(t, ctx, "theme", theme(dark))
		checkAccessibility(t, ctx, "cluster-new tested"+suffix(dark))
	}

	run(t, ctx, "add the cluster",
		chromedp.SendKeys("#shared_secret", b64, chromedp.ByQuery),
		chromedp.Click(`button[value="save"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#notice", chromedp.ByQuery),
	)
	if got := location(t, ctx).Path; got != "/clusters" {
		t.Fatalf("after adding, the browser is at %s", got)
	}
	got, err := c.store.List(t.Context(), store.KindCluster, store.ListQuery{})
	if err != nil || len(got.Objects) != 1 {
		t.Fatalf("stored clusters: %v, %v", got, err)
	}
	id := got.Objects[0].GetObjectMeta().ID
	row := `tbody tr[data-id="` + id + `"]`
	if name := text(t, ctx, row+" th"); strings.TrimSpace(name) != "east" {
		t.Errorf("the list's new row is named %q", name)
	}
	noSecret("the list")
	for _, dark := range []bool{false, true} {
		run(t, ctx, "theme", theme(dark))
		checkAccessibility(t, ctx, "clusters"+suffix(dark))
	}

	run(t, ctx, "open the confirmation",
		chromedp.Click(row+` a[href$="/delete"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#delete-contents", chromedp.ByQuery),
	)
	if msg := text(t, ctx, "#delete-contents"); !strings.Contains(msg, "0 namespaces, 0 routes, 0 policies, 0 key pairs, 0 service accounts") {
		t.Errorf("the confirmation says %q", msg)
	}
	if msg := text(t, ctx, "#delete-databroker"); !strings.Contains(msg, brokerURL) {
		t.Errorf("the confirmation does not name the databroker: %q", msg)
	}
	checkAccessibility(t, ctx, "cluster-delete")
	run(t, ctx, "confirm",
		chromedp.Click(`form[action$="/delete"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#notice", chromedp.ByQuery),
	)
	if msg := text(t, ctx, "#notice"); !strings.Contains(msg, `Cluster "east" deleted`) {
		t.Errorf("the notice says %q", msg)
	}
	// This console's reconciler writes to the default cluster alone, so the
	// deleted cluster stays listed as being deleted.
	if health := text(t, ctx, row+" td.health"); !strings.Contains(health, "deleting") {
		t.Errorf("the deleted cluster's row says %q", health)
	}
	var links int
	run(t, ctx, "count the row's links", chromedp.Evaluate(`document.querySelectorAll('`+row+` a').length`, &links))
	if links != 0 {
		t.Errorf("the deleted cluster's row still has %d links", links)
	}
	noSecret("the list after the deletion")
}
