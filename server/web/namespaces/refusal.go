package namespaces

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// staleMessage is what a form refused for a stale expected version says.
const staleMessage = "someone changed this since you loaded the page, so nothing was changed; " +
	"the page now shows the current values: check them and submit again to apply yours"

// namespaceFields maps the fields a refusal of NamespaceService names (the
// store's, as SetNamespace passes them on unrenamed, and the request's) to
// the fields of the namespace forms.
var namespaceFields = map[string]string{
	"name": "name", "namespace.name": "name",
	"namespace_id": "parent_id", "namespace.parent_id": "parent_id",
}

// permissionFields maps the fields a refusal of NamespacePermissionService
// names to the fields of the grant form.
var permissionFields = map[string]string{
	"subject_type": "subject_type", "namespace_permission.subject_type": "subject_type",
	"subject_id": "subject_id", "namespace_permission.subject_id": "subject_id",
	"role": "role", "namespace_permission.role": "role",
}

// formError reports whether a page can show err next to the form that
// caused it: the viewer's own mistakes and conflicts. Anything else (not
// allowed, not found, internal) gets the error page instead.
func formError(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeInvalidArgument, connect.CodeOutOfRange, connect.CodeAlreadyExists,
		connect.CodeFailedPrecondition, connect.CodeAborted:
		return true
	}
	return false
}

// refuse records a service's refusal on f, next to the field it names, and
// reports whether the refusal was for a stale expected version.
func refuse(f *ui.Form, err error, fields map[string]string) (stale bool) {
	if field, _ := ui.FieldOf(err); field == "version" && ui.Status(err) == http.StatusConflict {
		f.Errors[""] = staleMessage
		return true
	}
	f.Refuse(err, fields)
	return false
}

// readForm parses the request's form and copies the named fields as sent,
// so that a refused form shows them again.
func readForm(w http.ResponseWriter, r *http.Request, names ...string) (*ui.Form, error) {
	if err := ui.ParseForm(w, r); err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	f := ui.NewForm()
	for _, n := range names {
		f.Values[n] = r.PostForm.Get(n)
	}
	return f, nil
}

// expectedVersion reads the form's expected_version: the version of the
// object the viewer saw, which the service compares with the stored one.
func expectedVersion(f *ui.Form) (*int64, error) {
	s := strings.TrimSpace(f.Get("expected_version"))
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return nil, connect.NewError(connect.CodeInvalidArgument,
			fmt.Errorf("expected_version: %q is not a version; reload the page and try again", s))
	}
	return &v, nil
}
