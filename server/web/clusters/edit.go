package clusters

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// clusterData is the page of one cluster: its details and, for whom may
// change it, the form that does.
type clusterData struct {
	Cluster       *manage.Cluster
	NamespacePath string
	Health        ui.ClusterHealth
	// TLS is how the console checks the databroker's certificate, as
	// stored.
	TLS  tlsCheck
	Form *formData
}

// tlsCheck is a cluster's TLS options as its details show them.
type tlsCheck struct {
	Insecure, HasCA    bool
	ServerName, CAFile string
}

func tlsOf(cl *manage.Cluster) tlsCheck {
	return tlsCheck{
		Insecure: cl.InsecureSkipVerify != nil && *cl.InsecureSkipVerify, HasCA: len(cl.CertificateAuthority) > 0,
		ServerName: deref(cl.OverrideCertificateName), CAFile: deref(cl.CertificateAuthorityFile),
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	d, err := s.load(r, r.PathValue("id"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, d, "")
}

func (s *screen) render(w http.ResponseWriter, r *http.Request, status int, d *clusterData, pageErr string) {
	s.t.Render(w, r, status, clusterPage, ui.Page{Title: "Cluster " + d.Cluster.Name, Nav: ui.NavClusters, Data: d, Error: pageErr})
}

// load reads a cluster, which the use cases refuse to a viewer who may not
// see its namespace, with its form filled with the stored values.
func (s *screen) load(r *http.Request, id string) (*clusterData, error) {
	v := ui.ViewerFrom(r.Context())
	cl, err := s.d.App.GetCluster(r.Context(), v.Caller(), id)
	if err != nil {
		return nil, err
	}
	d := &clusterData{
		Cluster: cl, NamespacePath: v.NamespacePath(cl.ID), Health: ui.HealthOf(cl.Health, false),
		Form: &formData{Form: ui.NewForm(), Action: "/clusters/" + cl.ID, Edit: true, CanManage: mayManage(v) && !cl.Default,
			SecretStored: cl.HasSharedSecret},
	}
	d.TLS = tlsOf(cl)
	f := d.Form.Form
	f.Values[fieldName], f.Values[fieldURL], f.Values[fieldSecret] = cl.Name, cl.DatabrokerServiceURL, ""
	f.Values[fieldCA], f.Values[fieldServerName], f.Values[fieldCAFile] = string(cl.CertificateAuthority), d.TLS.ServerName, d.TLS.CAFile
	f.Values[fieldVersion] = strconv.FormatInt(cl.Version, 10)
	f.Values[fieldInsecure] = ""
	if d.TLS.Insecure {
		f.Values[fieldInsecure] = "true"
	}
	return d, nil
}

// update changes the cluster as the form says, if it is still at the
// version the viewer saw; an empty secret keeps the stored one. For "Test
// connection" it only tries to reach the databroker (with the stored
// secret when none is typed) and shows the form again with the outcome.
func (s *screen) update(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	d, err := s.load(r, r.PathValue("id"))
	if err != nil {
		s.t.Fail(w, r, err)
		return
	}
	f := d.Form.Form
	cl := readForm(r, f)
	cl.ID = d.Cluster.ID
	d.Form.SecretDropped = len(cl.SharedSecret) > 0
	if r.PostFormValue("action") == actionTest {
		status, err := s.testCluster(r, d.Form, cl)
		if err != nil {
			s.t.FailDoing(w, r, "test a cluster's connection", err)
			return
		}
		pageErr := ""
		if status != http.StatusOK {
			pageErr = "The connection test failed: see below. Nothing was saved."
		}
		s.render(w, r, status, d, pageErr)
		return
	}
	version, verr := expectedVersion(f)
	if verr != nil {
		refuse(f, verr)
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, d, "The cluster was not saved: see below.")
		return
	}
	_, err = s.d.App.UpdateCluster(r.Context(), v.Caller(), manage.ClusterInput{Cluster: cl, ExpectedVersion: &version})
	if err != nil {
		if !formError(err) {
			s.t.FailDoing(w, r, "update cluster "+cl.ID, err)
			return
		}
		if refuse(f, err) {
			// The page shows the current version: a second submit applies
			// the viewer's values over what they have now been shown.
			f.Values[fieldVersion] = strconv.FormatInt(d.Cluster.Version, 10)
		}
		s.render(w, r, ui.Status(err), d, "The cluster was not saved: see below.")
		return
	}
	ui.Redirect(w, r, "/clusters/"+cl.ID, fmt.Sprintf("Cluster %q saved.", cl.Name))
}
