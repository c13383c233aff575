package certificates

import (
	"fmt"
	"net/http"

	"connectrpc.com/connect"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
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

// delete deletes a key pair. The service refuses one that routes or the
// settings use (FailedPrecondition, naming them): the page then shows why,
// with the key pair still there.
func (s *screen) delete(w http.ResponseWriter, r *http.Request) {
	kp, err := s.get(r)
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	_, err = s.d.Services.KeyChain.DeleteKeyPair(r.Context(), connect.NewRequest(&pb.DeleteKeyPairRequest{Id: kp.ID}))
	if err != nil {
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
	res, err := s.d.Services.KeyChain.GetKeyPair(r.Context(), connect.NewRequest(&pb.GetKeyPairRequest{Id: r.PathValue("id")}))
	if err != nil {
		return keyPair{}, err
	}
	return keyPairOf(ui.ViewerFrom(r.Context()), res.Msg.GetKeyPair()), nil
}
