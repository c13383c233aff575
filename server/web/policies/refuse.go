package policies

import (
	"net/http"
	"slices"
	"strings"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// refuse puts the reason the service refused a save next to the field it
// names and returns what the page says above the form.
//
// The service names fields two ways: its own checks say "policy.ppl:
// reason", the store's say "policy <id>: name: reason". Both land on the
// editor's field of that name.
func refuse(f *ui.Form, err error, v *ui.Viewer) string {
	msg := ui.Message(err)
	field, reason := ui.FieldOf(err)
	switch {
	case ui.Status(err) == http.StatusConflict && field == "version":
		return "Someone changed this policy after you opened it, so nothing was saved (" + reason + "). " +
			"Your input is kept below: copy what you need, then reload the page to edit the current version."
	case connect.CodeOf(err) == connect.CodePermissionDenied:
		if f.Get("enforced") == "on" && !v.Can(f.Get("namespace_id"), string(store.RoleAdmin)) {
			f.Errors["enforced"] = "Enforcing a policy needs the admin role in its namespace."
		}
		return "Not saved: " + msg
	}
	status := ui.Status(err)
	if status != http.StatusBadRequest && status != http.StatusConflict {
		return "Not saved: " + msg
	}
	field = strings.TrimPrefix(field, "policy.")
	if !slices.Contains(formFields, field) {
		return "Not saved: " + msg
	}
	if field == "ppl" {
		reason = describePPLError(f.Get("ppl"), reason)
	}
	f.Errors[field] = reason
	return "Not saved: see the reason next to the field."
}
