// Package serviceaccounts is the service accounts screen of the web
// console: the accounts programs use to call the console's API, with when
// each last used its token; creating one with an expiry and the user it
// acts as (its own id, a new user name, or a known user), which shows its
// token once and never again; granting its user a role in its namespace; and
// revoking it. It reads and writes only through the use cases (package
// manage), which check roles: managers manage accounts, admins grant
// roles. It never stores or logs a token.
package serviceaccounts
