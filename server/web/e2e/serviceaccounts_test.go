package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestServiceAccountUsers: in a real browser, the service account form
// offers a new user name or a known user to act as; a refused name is
// shown at its input, accessibly in both themes; an account acting as a
// known user is created with that user's id.
func TestServiceAccountUsers(t *testing.T) {
	t.Parallel()
	c := startConsole(t)
	actor := store.Actor{Subject: "test", Origin: store.OriginAPI}
	if _, err := store.Put(t.Context(), c.store, actor, &store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID},
		SubjectType: store.SubjectUser, SubjectID: "reader@example.com", Role: store.RoleViewer}, 0); err != nil {
		t.Fatal(err)
	}
	team, err := store.Put(t.Context(), c.store, actor, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Team"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := chromium(t)
	c.signIn(t, ctx)

	var offered []string
	run(t, ctx, "open the form",
		chromedp.Navigate(c.url+"/service-accounts/new?namespace="+team.ID),
		chromedp.WaitVisible("#user_kind-new", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("datalist#known-users option")].map(o => o.value)`, &offered),
	)
	if len(offered) != 1 || offered[0] != "reader@example.com" {
		t.Errorf("the form offers users %v to act as, want reader@example.com", offered)
	}
	// Acting as a user of Global is refused in Team, at the input.
	run(t, ctx, "act as a Global user in Team",
		chromedp.Click("#user_kind-existing", chromedp.ByQuery),
		chromedp.SendKeys("#act_as", "reader@example.com", chromedp.ByQuery),
		chromedp.Click(`form[action="/service-accounts/new"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#act_as-error", chromedp.ByQuery),
	)
	if msg := text(t, ctx, "#act_as-error"); !strings.Contains(msg, "create it in Global") {
		t.Errorf("the refusal says %q", msg)
	}
	for _, dark := range []bool{false, true} {
		run(t, ctx, "theme", theme(dark))
		checkAccessibility(t, ctx, "service-account-new refused"+suffix(dark))
	}
	// In Global the user's id is kept.
	run(t, ctx, "act as the user in Global",
		chromedp.SetValue("#namespace_id", store.GlobalNamespaceID, chromedp.ByQuery),
		chromedp.Click("#user_kind-existing", chromedp.ByQuery),
		chromedp.Click(`form[action="/service-accounts/new"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
	)
	got, err := c.store.List(t.Context(), store.KindServiceAccount, store.ListQuery{})
	if err != nil || len(got.Objects) != 1 {
		t.Fatalf("stored accounts: %v, %v", got, err)
	}
	if sa := got.Objects[0].(*store.ServiceAccount); sa.UserID != "reader@example.com" || sa.NamespaceID != store.GlobalNamespaceID {
		t.Errorf("the account acts as %q in %s, want reader@example.com in Global", sa.UserID, sa.NamespaceID)
	}
}
