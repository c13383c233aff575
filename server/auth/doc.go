// Package auth identifies who calls the console, from the headers of one
// request: a service-account token or a recovery token in the authorization
// header (both JWTs the console signs itself), the bootstrap token of the
// configured shared secret there (an HS256 JWT Pomerium's Terraform
// provider makes, which acts as a Global admin), or the identity assertion
// Pomerium adds to every request it proxies (X-Pomerium-Jwt-Assertion).
//
// It answers "who is this?" with a [Principal] and never "may they?": roles
// and permissions are for RBAC, which reads the Principal. It issues the
// console's own tokens, keeps their signing keys in the store's secrets, and
// records sign-ins and service-account use in the store (at most once per
// subject per minute). It must not write desired state, and its errors must
// never quote a credential.
package auth
