package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestFocusAfterPartialSwaps: switching a route editor's tab by keyboard
// swaps the editor through htmx, and focus lands on the new current tab,
// not on the page's body; a refused filter puts focus on the refused field.
func TestFocusAfterPartialSwaps(t *testing.T) {
	t.Parallel()
	c := startConsole(t)
	seed := c.seed(t)
	ctx := chromium(t)
	c.signIn(t, ctx)

	var active, path string
	run(t, ctx, "switch a tab by keyboard",
		chromedp.Navigate(c.url+"/routes/"+seed.route+"?tab=general"),
		chromedp.WaitVisible(`.tabs a[aria-current="true"]`, chromedp.ByQuery),
		chromedp.Focus(`.tabs a[href$="tab=matchers"]`, chromedp.ByQuery),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`.tabs a[aria-current="true"][href$="tab=matchers"]`, chromedp.ByQuery),
		settled(),
		chromedp.Evaluate(activeElement, &active),
		chromedp.Evaluate(`location.pathname + location.search`, &path),
	)
	if active != `A aria-current="true" Matchers` {
		t.Fatalf("after the swap focus is on %s, want the current tab", active)
	}
	if !strings.HasSuffix(path, "tab=matchers") {
		t.Fatalf("the address bar says %s: the tab is not in the URL", path)
	}
	// The page was swapped, not reloaded: htmx is at work under the CSP.
	var swapped bool
	run(t, ctx, "check the swap", chromedp.Evaluate(`performance.getEntriesByType("navigation").length === 1 && typeof htmx === "object"`, &swapped))
	if !swapped {
		t.Fatal("htmx did not load or the tab link reloaded the page")
	}

	run(t, ctx, "filter with a bad time",
		chromedp.Navigate(c.url+"/activity"),
		chromedp.WaitVisible(`form[action="/activity"]`, chromedp.ByQuery),
		chromedp.Evaluate(`(f => { f.type = "text"; f.value = "not a time"; })(document.getElementById("f-since"))`, nil),
		chromedp.Click(`form[action="/activity"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-since-error`, chromedp.ByQuery),
		settled(),
		chromedp.Evaluate(activeElement, &active),
	)
	if !strings.HasPrefix(active, "INPUT#f-since ") {
		t.Fatalf("after a refused filter focus is on %s, want the refused field", active)
	}
}

// activeElement describes the element that has focus, without its
// children: the body (focus lost), or the tag, id, aria-current and text.
const activeElement = `(e => e === document.body ? "BODY" :
	e.tagName + (e.id ? "#" + e.id : "") + (e.hasAttribute("aria-current") ? " aria-current=\"" + e.getAttribute("aria-current") + "\"" : "") +
	" " + e.textContent.trim())(document.activeElement)`

// TestFocusAfterAFormPost: a page that answers a plain form post with
// something to look at first (the import preview) starts with focus there.
func TestFocusAfterAFormPost(t *testing.T) {
	t.Parallel()
	c := startConsole(t)
	ctx := chromium(t)
	c.signIn(t, ctx)
	var active string
	run(t, ctx, "preview an import",
		chromedp.Navigate(c.url+"/routes/import"),
		chromedp.SendKeys("#import-content", "routes:\n  - from: https://imported.example.com\n    to: https://imported.internal\n", chromedp.ByQuery),
		chromedp.Click(`button[value="preview"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#preview-h", chromedp.ByQuery),
		settled(),
		chromedp.Evaluate(activeElement, &active),
	)
	if !strings.HasPrefix(active, "H2#preview-h ") {
		t.Fatalf("after the preview focus is on %q, want its heading", active)
	}
}

// settled waits until htmx has settled the swap (it settles after a short
// delay, and the console moves focus then): until focus has left the body
// the swap took it to, for at most five seconds. When focus stays lost the
// wait fails, and with it the test.
func settled() chromedp.Action {
	return chromedp.Poll(`document.activeElement !== document.body`, nil, chromedp.WithPollingTimeout(5*time.Second))
}
