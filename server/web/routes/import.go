package routes

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// importData is what the import page shows: the form and, after a
// preview, what the import would do.
type importData struct {
	Form *ui.Form
	// Namespaces are those the viewer may import into (manager).
	Namespaces []ui.Namespace
	Preview    *preview
}

const importTitle = "Import a Pomerium config"

func (s *screen) importForm(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := &importData{Form: ui.NewForm(), Namespaces: managed(v)}
	d.Form.Values["namespace"] = r.URL.Query().Get("namespace")
	status := http.StatusOK
	if len(d.Namespaces) == 0 {
		status = http.StatusForbidden
	}
	s.t.Render(w, r, status, importPage, ui.Page{Title: importTitle, Nav: ui.NavRoutes, Data: d})
}

// importPost previews (action=preview) or applies (action=apply) an
// import. A preview writes nothing; an apply writes only when the plan is
// still the one previewed, which the preview's digest proves.
func (s *screen) importPost(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := &importData{Form: ui.NewForm(), Namespaces: managed(v)}
	page := ui.Page{Title: importTitle, Nav: ui.NavRoutes, Data: d}
	render := func(status int) { s.t.Render(w, r, status, importPage, page) }
	f := d.Form
	if err := ui.ParseForm(w, r); err != nil {
		f.Errors[""] = "the form could not be read (at most 4 MiB): " + err.Error()
		render(http.StatusBadRequest)
		return
	}
	ns := r.PostFormValue("namespace")
	if err := v.Hidden(ns); err != nil {
		s.t.Fail(w, r, err)
		return
	}
	f.Values["namespace"] = ns
	content, err := uploaded(r)
	f.Values["content"] = content
	switch {
	case err != nil:
		f.Errors["file"] = err.Error()
		render(http.StatusBadRequest)
		return
	case ns == "":
		f.Errors["namespace"] = "choose the namespace to import into"
		render(http.StatusBadRequest)
		return
	case !v.Can(ns, string(store.RoleManager)):
		f.Errors["namespace"] = fmt.Sprintf("importing into namespace %s needs the manager role there", v.NamespacePath(ns))
		render(http.StatusForbidden)
		return
	case strings.TrimSpace(content) == "":
		f.Errors["content"] = "is empty: paste the content of a Pomerium config.yaml, or choose the file"
		render(http.StatusBadRequest)
		return
	}
	actor := store.Actor{Subject: v.Principal.Subject, Origin: store.OriginUI}
	c, err := check(r.Context(), s.d.Store, ns, actor, []byte(content))
	if err != nil {
		if status, ok := refusal(err); ok {
			f.Errors["content"] = err.Error()
			render(status)
			return
		}
		s.t.Fail(w, r, fmt.Errorf("preview an import: %w", err))
		return
	}
	d.Preview = newPreview(v, ns, content, c)
	status := d.Preview.status()
	if r.PostFormValue("action") != "apply" || status != http.StatusOK {
		render(status)
		return
	}
	if r.PostFormValue("digest") != d.Preview.Digest {
		page.Error = "What the import would do changed since your preview (someone changed the namespace): review the new preview and apply again."
		render(http.StatusConflict)
		return
	}
	opts := importer.Options{Namespace: ns, Actor: actor}
	if !v.Can(ns, string(store.RoleAdmin)) {
		// The preview refused these already; this holds the plan that is
		// written to the same rule, whatever changed since.
		opts.Authorize = importer.NeedsAdmin
	}
	res, err := importer.ImportFile(r.Context(), s.d.Store, c.File, opts)
	if err != nil {
		if status, ok := refusal(err); ok {
			page.Error = "Nothing was imported: " + err.Error()
			render(status)
			return
		}
		s.t.Fail(w, r, fmt.Errorf("import: %w", err))
		return
	}
	ui.Redirect(w, r, "/routes?"+url.Values{"namespace": {ns}}.Encode(), fmt.Sprintf(
		"Imported %s into %s: %d created, %d updated, %d unchanged (routes, policies and key pairs together).",
		count(len(res.Routes), "route"), v.NamespacePath(ns), res.Created, res.Updated, res.Unchanged))
}

// uploaded is the file's content when one was chosen, the text area's
// otherwise.
func uploaded(r *http.Request) (string, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		return r.PostFormValue("content"), nil
	}
	file, err := r.MultipartForm.File["file"][0].Open()
	if err != nil {
		return r.PostFormValue("content"), fmt.Errorf("the file could not be read: %w", err)
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return "", fmt.Errorf("the file could not be read: %w", err)
	}
	if len(data) == 0 {
		return r.PostFormValue("content"), nil
	}
	return string(data), nil
}

// refusal is the HTTP status of an error the importer or the store gives
// about the input, and false for a failure of the console.
func refusal(err error) (int, bool) {
	var se *store.Error
	var needsAdmin *importer.NeedsAdminError
	switch {
	case errors.As(err, &needsAdmin):
		return http.StatusForbidden, true
	case !errors.As(err, &se):
		return 0, false
	}
	switch se.Code {
	case store.CodeInvalid:
		return http.StatusBadRequest, true
	case store.CodeNotFound:
		return http.StatusNotFound, true
	}
	return http.StatusConflict, true
}
