package policies

import (
	"slices"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// refuse puts the reason a save was refused next to the field it names
// (the editor's inputs are named as the use cases name the policy's
// fields) and returns what the page says above the form.
func refuse(f *ui.Form, err error, v *ui.Viewer) string {
	field, reason := ui.FieldOf(err)
	switch manage.CodeOf(err) {
	case manage.CodeConflict:
		if field == "version" {
			return "Someone changed this policy after you opened it, so nothing was saved (" + reason + "). " +
				"Your input is kept below: copy what you need, then reload the page to edit the current version."
		}
	case manage.CodePermissionDenied:
		if f.Get("enforced") == "on" && !v.May(string(manage.EnforcePolicies), f.Get("namespace_id")) {
			f.Errors["enforced"] = "Enforcing a policy needs the admin role in its namespace."
		}
		return "Not saved: " + ui.Message(err)
	}
	if !slices.Contains(formFields, field) {
		return "Not saved: " + ui.Message(err)
	}
	if field == "ppl" {
		reason = describePPLError(f.Get("ppl"), reason)
	}
	f.Errors[field] = reason
	return "Not saved: see the reason next to the field."
}
