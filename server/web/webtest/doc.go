// Package webtest runs the web console for tests: a store, the real
// authenticator and API services, every screen, over TLS, and browsers that
// sign in with a recovery token or arrive through Pomerium with a user's
// assertion. It is for tests only.
package webtest
