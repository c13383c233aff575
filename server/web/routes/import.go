package routes

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// importData is what the import page shows: the form and, after a
// preview, what the import would do.
type importData struct {
	Form *ui.Form
	// Namespaces are those the viewer may import into; Role is the role
	// that takes.
	Namespaces []ui.Namespace
	Role       store.Role
	Preview    *preview
}

const importTitle = "Import a Pomerium config"

func newImportData(v *ui.Viewer) *importData {
	return &importData{Form: ui.NewForm(), Namespaces: may(v, manage.Import), Role: manage.Needs[manage.Import]}
}

func (s *screen) importForm(w http.ResponseWriter, r *http.Request) {
	d := newImportData(ui.ViewerFrom(r.Context()))
	d.Form.Values["namespace"] = r.URL.Query().Get("namespace")
	status := http.StatusOK
	if len(d.Namespaces) == 0 {
		status = http.StatusForbidden
	}
	s.t.Render(w, r, status, importPage, ui.Page{Title: importTitle, Nav: ui.NavRoutes, Data: d})
}

// importPost previews (action=preview) or applies (action=apply) an
// import. A preview is a dry run of the use case, which writes nothing; an
// apply writes only the plan the preview showed, which its digest names.
func (s *screen) importPost(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := newImportData(v)
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
	case !v.May(string(manage.Import), ns):
		f.Errors["namespace"] = fmt.Sprintf("importing into namespace %s needs the %s role there", v.NamespacePath(ns), d.Role)
		render(http.StatusForbidden)
		return
	case strings.TrimSpace(content) == "":
		f.Errors["content"] = "is empty: paste the content of a Pomerium config.yaml, or choose the file"
		render(http.StatusBadRequest)
		return
	}
	in := manage.ImportInput{Namespace: ns, Content: []byte(content)}
	var refusal error
	if r.PostFormValue("action") == "apply" {
		plan, err := s.apply(r, in, r.PostFormValue("digest"))
		if err == nil {
			ui.Redirect(w, r, "/routes?"+url.Values{"namespace": {ns}}.Encode(), fmt.Sprintf(
				"Imported %s into %s: %d created, %d updated, %d unchanged (routes, policies and key pairs together).",
				count(len(plan.Routes), "route"), v.NamespacePath(ns), plan.Created, plan.Updated, plan.Unchanged))
			return
		}
		if status := ui.Status(err); status == http.StatusInternalServerError || status == http.StatusUnauthorized {
			s.t.Fail(w, r, err)
			return
		}
		// Nothing was written: the page shows the import as it stands now.
		refusal = err
	}
	in.DryRun = true
	plan, err := s.d.App.Import(r.Context(), v.Caller(), in)
	if plan == nil {
		s.fileRefused(w, r, f, err, render)
		return
	}
	d.Preview = newPreview(v, ns, content, plan, err)
	status := d.Preview.status()
	if refusal != nil && status == http.StatusOK {
		// The preview alone would not stop an apply: the refusal was of
		// the apply itself (the plan changed since it was reviewed).
		status, page.Error = ui.Status(refusal), applyRefused(refusal)
	}
	render(status)
}

// apply imports the plan the viewer reviewed, which digest names.
func (s *screen) apply(r *http.Request, in manage.ImportInput, digest string) (*manage.ImportPlan, error) {
	if digest == "" {
		// The use case checks a digest only when given one: an apply
		// without it would write a plan nobody reviewed.
		return nil, manage.Refuse(manage.CodeConflict, "digest", "no preview was reviewed")
	}
	in.Digest = digest
	return s.d.App.Import(r.Context(), ui.ViewerFrom(r.Context()).Caller(), in)
}

// applyRefused is what the page says about an apply that was refused
// although the preview of the import as it stands allows it.
func applyRefused(err error) string {
	var re *manage.Error
	if errors.As(err, &re) && re.Code == manage.CodeConflict && re.Field == "digest" {
		return "What the import would do changed since your preview (someone changed the namespace): review the new preview and apply again."
	}
	return "Nothing was imported: " + ui.Message(err)
}

// fileRefused shows the refusal of a file as a whole (it is not YAML, the
// namespace is gone, it would overwrite what Kubernetes manages) next to
// the input it is about, the content when it names none.
func (s *screen) fileRefused(w http.ResponseWriter, r *http.Request, f *ui.Form, err error, render func(int)) {
	status := ui.Status(err)
	if status == http.StatusInternalServerError || status == http.StatusUnauthorized {
		s.t.Fail(w, r, fmt.Errorf("preview an import: %w", err))
		return
	}
	if field, reason := ui.FieldOf(err); field == "" {
		f.Errors["content"] = reason
	} else {
		f.Refuse(err)
	}
	render(status)
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
