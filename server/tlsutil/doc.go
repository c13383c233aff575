// Package tlsutil builds the TLS configuration the console serves with:
// the operator's certificate and key, or, when there are none, a
// self-signed certificate made at start whose fingerprint is logged so that
// clients can pin it.
//
// It must not read files or config keys itself: callers pass the PEM they
// loaded.
package tlsutil
