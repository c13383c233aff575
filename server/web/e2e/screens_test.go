package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// screen is one page of the console to check and capture.
type screen struct {
	name, path string
}

// TestScreens opens every screen in the light and the dark theme, checks it
// with axe-core and captures it.
func TestScreens(t *testing.T) {
	t.Parallel()
	c := startConsole(t)
	seed := c.seed(t)
	ctx := chromium(t)
	// The sign-in page, before signing in.
	for _, dark := range []bool{false, true} {
		run(t, ctx, "open sign-in", theme(dark), chromedp.Navigate(c.url+"/signin"), chromedp.WaitVisible("main h1", chromedp.ByQuery))
		checkAccessibility(t, ctx, "signin"+suffix(dark))
		screenshot(t, ctx, "signin"+suffix(dark))
	}
	c.signIn(t, ctx)
	for _, s := range seed.screens() {
		for _, dark := range []bool{false, true} {
			name := s.name + suffix(dark)
			run(t, ctx, "open "+s.path, theme(dark), chromedp.Navigate(c.url+s.path), chromedp.WaitVisible("main h1", chromedp.ByQuery))
			if h1 := text(t, ctx, "main h1"); h1 == "Not Found" || h1 == "Internal Server Error" {
				t.Fatalf("%s: %s", s.path, h1)
			}
			checkAccessibility(t, ctx, name)
			screenshot(t, ctx, name)
		}
	}
}

func suffix(dark bool) string {
	if dark {
		return "-dark"
	}
	return "-light"
}
