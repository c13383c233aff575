// Package web serves the web console: server-rendered pages that work as
// plain HTML forms and are enhanced by htmx when its pinned script is
// embedded. It signs callers in (Pomerium's assertion or a recovery token),
// guards every request (Content-Security-Policy, CSRF, cookies that scripts
// cannot read) and mounts the screens. It changes state only through the
// API's services, so the web console can do nothing the API would refuse.
package web
