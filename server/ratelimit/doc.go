// Package ratelimit limits, per client address, how often callers may try
// to authenticate: the web console's sign-in form and the API's calls
// whose credentials do not authenticate. Guessing a recovery token, a
// service account token or the shared secret then costs an attacker
// minutes per handful of tries, while a person signing in or a client whose
// credentials are good is never held up.
//
// It decides only whether an attempt may go ahead and for how long an
// address must wait; the surfaces answer the refusal in their own terms
// (429 with Retry-After over HTTP, ResourceExhausted over gRPC). It must
// not read configuration or know about principals.
package ratelimit
