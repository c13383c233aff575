// Package e2e tests the web console end to end in real headless Chromium
// (Debian's chromium, driven over the DevTools protocol with chromedp): the
// whole console in process (PostgreSQL store, reconcile loop, embedded
// databroker over a socket, the API's services and every screen), axe-core
// accessibility checks of every screen in the light and dark themes, and the
// screenshots `make screenshots` writes. It holds tests only.
package e2e
