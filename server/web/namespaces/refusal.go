package namespaces

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// staleMessage is what a form refused for a stale expected version says.
const staleMessage = "someone changed this since you loaded the page, so nothing was changed; " +
	"the page now shows the current values: check them and submit again to apply yours"

// formError reports whether a page can show err next to the form that
// caused it: the viewer's own mistakes and conflicts. Anything else (not
// allowed, not found, internal) gets the error page instead.
func formError(err error) bool {
	status := ui.Status(err)
	return status == http.StatusBadRequest || status == http.StatusConflict
}

// refuse records a refusal on f, next to the input of the field it names,
// and reports whether the refusal was for a stale expected version.
func refuse(f *ui.Form, err error) (stale bool) {
	if field, _ := ui.FieldOf(err); field == "version" && manage.CodeOf(err) == manage.CodeConflict {
		f.Errors[""] = staleMessage
		return true
	}
	f.Refuse(err)
	return false
}

// readForm parses the request's form and copies the named fields as sent,
// so that a refused form shows them again.
func readForm(w http.ResponseWriter, r *http.Request, names ...string) (*ui.Form, error) {
	if err := ui.ParseForm(w, r); err != nil {
		return nil, manage.Refuse(manage.CodeInvalid, "", "%v", err)
	}
	f := ui.NewForm()
	for _, n := range names {
		f.Values[n] = r.PostForm.Get(n)
	}
	return f, nil
}

// expectedVersion reads the form's expected_version: the version of the
// object the viewer saw, which the use cases compare with the stored one.
// Its refusal names no input: the input is hidden, and only a reload
// mends it.
func expectedVersion(f *ui.Form) (int64, error) {
	s := strings.TrimSpace(f.Get("expected_version"))
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, manage.Refuse(manage.CodeInvalid, "", "expected_version: %q is not a version; reload the page and try again", s)
	}
	return v, nil
}
