package certificates

import (
	"fmt"
	"net/http"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	kp, err := s.get(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.t.Render(w, r, http.StatusOK, "show.html", ui.Page{Title: "Certificate " + kp.Name, Nav: ui.NavCertificates, Data: kp})
}

// delete deletes a key pair. The use cases refuse one that routes or the
// settings use, naming them: the page then shows why, with the key pair
// still there.
func (s *screen) delete(w http.ResponseWriter, r *http.Request) {
	kp, err := s.get(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	if err := s.d.App.DeleteKeyPair(r.Context(), ui.ViewerFrom(r.Context()).Caller(), kp.ID); err != nil {
		status := ui.Status(err)
		if status == http.StatusInternalServerError {
			s.t.Fail(w, r, fmt.Errorf("delete key pair %s: %w", kp.ID, err))
			return
		}
		page := ui.Page{Title: "Certificate " + kp.Name, Nav: ui.NavCertificates, Data: kp, Error: "Not deleted: " + ui.Message(err)}
		s.t.Render(w, r, status, "show.html", page)
		return
	}
	ui.Redirect(w, r, "/certificates", fmt.Sprintf("Certificate %q deleted.", kp.Name))
}

// get reads the key pair the path names.
func (s *screen) get(r *http.Request) (keyPair, error) {
	v := ui.ViewerFrom(r.Context())
	kp, err := s.d.App.GetKeyPair(r.Context(), v.Caller(), r.PathValue("id"))
	if err != nil {
		return keyPair{}, err
	}
	return keyPairOf(v, kp), nil
}
