// Package manage holds the console's use cases: every read and change of
// desired state that a caller makes, through any surface (the dashboard
// API, the web console, the Kubernetes controllers, the import command),
// with the rules that decide it, each in one place.
//
// A call takes a [Caller]: who calls, through which surface, with its roles
// read once when the request starts ([App.Caller]). A use case
//   - authorises the call by one table of the role each [Action] needs
//     ([Needs]), and pins every update and delete to the version it was
//     authorised on, so that what was allowed is what is written, or
//     nothing is (CodeConflict);
//   - refuses what compilation would refuse (compile.CheckRoute,
//     compile.CheckSettings, PPL), whoever writes it;
//   - keeps the stored fields a writer cannot express (RouteInput.Through,
//     SettingsInput.Through);
//   - computes what is shown beside an object (sync status, the enforced
//     policies that apply to a route, as compile.Enforced orders them) and
//     hides the secrets the caller may not read (store.Redact);
//   - writes through the store on behalf of the caller, which records the
//     change in the activity log with the caller's subject and surface.
//
// Refusals are *Error values with a Code and the path of the input at
// fault (Field; Index for an element of a list argument). Surfaces
// convert their messages to the use cases' types and back and map refusals
// to their own status codes; they decide nothing themselves.
//
// The package must not know a surface's messages (protobuf, HTML forms,
// Kubernetes objects), talk to the databroker, or write anything but
// through the store.
package manage
