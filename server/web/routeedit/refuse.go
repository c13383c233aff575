package routeedit

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// staleMessage explains a save refused because the route changed meanwhile.
const staleMessage = "This route changed since you opened it (someone saved it meanwhile): nothing was saved. " +
	"Your input is kept below; open the current version to see what changed, then make your edit again."

// refuse shows the use cases' refusal of a save next to the field it
// names, or above the form, and returns the page's status and message.
func (e *editor) refuse(err error) (int, string) {
	status := ui.Status(err)
	field, reason := ui.FieldOf(err)
	verb := "saved"
	if e.New {
		verb = "created"
	}
	switch {
	case status == http.StatusConflict && field == "version":
		e.Stale = true
		return status, staleMessage
	case status >= 500, status == http.StatusForbidden, status == http.StatusNotFound, field == "":
		return status, "The route was not " + verb + ": " + reason
	}
	e.fieldError(field, reason, "")
	return status, "The route was not " + verb + ": correct the fields marked below."
}

// fieldError puts a refusal about a field of the route (a path as the use
// cases name it) next to its form field when this tab shows it, above the
// form otherwise. Refusals of the reconciler do not replace one of the
// form's.
func (e *editor) fieldError(path, reason, suffix string) {
	tabKey, name, index, ok := formField(path)
	if tabKey == tabGeneral && name == "to" && e.Tab == tabLB {
		// The weights of the load balancing tab travel on the URLs.
		tabKey, name = tabLB, "weights"
		if index >= 0 {
			name = weightField(index)
		}
	} else if ok && index >= 0 && lineFields[name] {
		reason = "line " + strconv.Itoa(index+1) + ": " + reason
	}
	msg := path + ": " + reason + suffix
	switch {
	case !ok:
	case tabKey != e.Tab:
		t, _ := tabByKey(tabKey)
		msg = name + " (on the " + t.Label + " tab): " + reason + suffix
	default:
		msg = name + ": " + reason + suffix
		if _, taken := e.Form.Errors[name]; !taken {
			e.Form.Errors[name] = msg
		}
		return
	}
	if _, taken := e.Form.Errors[""]; !taken {
		e.Form.Errors[""] = msg
	}
}

// reconcilerFinding shows the reconciler's refusal of this version of the
// route next to the field it names, when this tab shows it: a from that
// another route claims, a policy that is gone.
func (e *editor) reconcilerFinding() {
	st := e.Route.GetSyncStatus()
	if st.GetState() != "error" || st.GetField() == "" || st.GetObjectVersion() != e.Route.GetVersion() {
		return
	}
	// The reconciler names a field of the stored object, whose settings
	// are under spec; the use cases, and so the form, name them from the
	// route itself.
	field := strings.TrimPrefix(st.GetField(), "spec.")
	if tabKey, _, _, ok := formField(field); ok && tabKey == e.Tab {
		e.fieldError(field, st.GetReason(), " (so the route is not applied)")
	}
}
