package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/pomerium-console/pomerium-console/store"
)

// signIn signs the browser in on the sign-in page with a recovery token for
// the Global namespace, typed as a person would paste it.
func (c *console) signIn(t *testing.T, ctx context.Context) {
	t.Helper()
	tok, err := c.auth.IssueRecoveryToken(t.Context(), store.GlobalNamespaceID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "sign in",
		chromedp.Navigate(c.url+"/signin"),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
		chromedp.SetValue("#token", tok, chromedp.ByQuery),
		chromedp.Click(`form[action="/signin"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav[aria-label="Main"]`, chromedp.ByQuery),
	)
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axe returns axe-core's script, which `make assets` fetches.
func axe(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		var b []byte
		b, axeErr = os.ReadFile(filepath.Join("testdata", "vendor", "axe.min.js"))
		axeSource = string(b)
	})
	if axeErr != nil {
		t.Fatalf("axe-core is missing (run `make assets`): %v", axeErr)
	}
	return axeSource
}

// violation is one axe-core finding.
type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAccessibility runs axe-core on the current page and fails the test
// for every serious or critical violation (WCAG A and AA rules, including
// colour contrast in the current theme).
func checkAccessibility(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var found []violation
	run(t, ctx, "axe on "+page,
		chromedp.Evaluate(axe(t), nil),
		chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]})
			.then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
				nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary)})))`,
			&found, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	for _, v := range found {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
		} else {
			t.Logf("%s: minor: %s (%s): %s", page, v.ID, v.Impact, v.Help)
		}
	}
}

// theme makes the page follow a light or dark operating-system setting.
func theme(dark bool) chromedp.Action {
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}})
}

// screenshot saves the whole page as a PNG when -screenshots names a
// folder; it always takes it, so that a page that cannot be captured fails.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	run(t, ctx, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	if len(png) == 0 {
		t.Fatalf("screenshot %s is empty", name)
	}
	if *screenshotsDir == "" {
		return
	}
	if err := os.MkdirAll(*screenshotsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshotsDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// text is the visible text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	for attempt := 1; ; attempt++ {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Run(rctx, chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
		cancel()
		// The page may replace the node between finding it and reading
		// it (a swap settling): find it again.
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "No node with given id found") {
			if err != nil {
				t.Fatalf("read %s: %v", sel, err)
			}
			return s
		}
	}
}
