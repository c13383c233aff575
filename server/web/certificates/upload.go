package certificates

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// formData is what the upload page shows.
type formData struct {
	Form *ui.Form
	// Namespaces are those where the viewer may upload key pairs.
	Namespaces []ui.Namespace
	// KeyDropped: a refused form had a key, which is not sent back.
	KeyDropped bool
}

func (s *screen) newForm(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := formData{Form: ui.NewForm(), Namespaces: adminNamespaces(v)}
	d.Form.Values["namespace_id"] = r.URL.Query().Get("namespace")
	status := http.StatusOK
	if len(d.Namespaces) == 0 {
		status = http.StatusForbidden
	}
	s.t.Render(w, r, status, "new.html", ui.Page{Title: "Upload a certificate", Nav: ui.NavCertificates, Data: d})
}

// create uploads a key pair. The certificate and key come from a file
// input or, when no file is chosen, from the text area beside it; the
// inputs are named as the use cases name the key pair's fields.
func (s *screen) create(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d := formData{Form: ui.NewForm(), Namespaces: adminNamespaces(v)}
	page := ui.Page{Title: "Upload a certificate", Nav: ui.NavCertificates, Data: &d}
	if err := ui.ParseForm(w, r); err != nil {
		d.Form.Errors[""] = "the form could not be read (at most 4 MiB): " + err.Error()
		s.t.Render(w, r, http.StatusBadRequest, "new.html", page)
		return
	}
	f := d.Form
	f.Values["name"] = strings.TrimSpace(r.PostFormValue("name"))
	f.Values["namespace_id"] = r.PostFormValue("namespace_id")
	cert, err := pemField(r, "certificate")
	if err != nil {
		f.Errors["certificate"] = err.Error()
	}
	key, err := pemField(r, "private_key")
	if err != nil {
		f.Errors["private_key"] = err.Error()
	}
	// The certificate is public and goes back into the form; the key is
	// a secret and is never sent back, even to the one who sent it: its
	// input is on the form, blank, so that its refusals land next to it.
	f.Values["certificate"], f.Values["private_key"] = cert, ""
	d.KeyDropped = key != ""
	if len(f.Errors) > 0 {
		s.t.Render(w, r, http.StatusBadRequest, "new.html", page)
		return
	}
	kp, err := s.d.App.CreateKeyPair(r.Context(), v.Caller(), &store.KeyPair{
		ObjectMeta:  store.ObjectMeta{NamespaceID: f.Get("namespace_id"), Name: f.Get("name")},
		Certificate: []byte(cert), PrivateKey: []byte(key),
	})
	if err != nil {
		s.refuse(w, r, page, err)
		return
	}
	ui.Redirect(w, r, "/certificates/"+kp.ID, fmt.Sprintf("Certificate %q uploaded.", kp.Name))
}

// refuse shows the upload form again with the reason of the refusal next
// to the input of the field it names.
func (s *screen) refuse(w http.ResponseWriter, r *http.Request, page ui.Page, err error) {
	status := ui.Status(err)
	if status == http.StatusInternalServerError {
		s.t.Fail(w, r, fmt.Errorf("create key pair: %w", err))
		return
	}
	page.Data.(*formData).Form.Refuse(err)
	page.Error = "The certificate was not uploaded: see below."
	s.t.Render(w, r, status, "new.html", page)
}

// pemField reads a PEM field of the form: the file chosen in <name>_file,
// or else the text of <name>.
func pemField(r *http.Request, name string) (string, error) {
	file, _, err := r.FormFile(name + "_file")
	switch {
	case errors.Is(err, http.ErrMissingFile), errors.Is(err, http.ErrNotMultipart):
		return strings.TrimSpace(r.PostFormValue(name)), nil
	case err != nil:
		return "", fmt.Errorf("the file could not be read: %w", err)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, ui.MaxFormBytes))
	if err != nil {
		return "", fmt.Errorf("the file could not be read: %w", err)
	}
	if s := strings.TrimSpace(string(b)); s != "" {
		return s, nil
	}
	// An empty file chosen: the text area may still hold the PEM.
	return strings.TrimSpace(r.PostFormValue(name)), nil
}
