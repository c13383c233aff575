package clusters

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// Inputs of the cluster form, named as the use cases name the cluster's
// fields (without the "cluster." of their refusals), so that a refusal
// lands next to the input it is about.
const (
	fieldName         = "name"
	fieldURL          = "databroker_service_url"
	fieldSecret       = "shared_secret"
	fieldParent       = "parent_namespace_id"
	fieldInsecure     = "insecure_skip_verify"
	fieldServerName   = "override_certificate_name"
	fieldCA           = "certificate_authority"
	fieldCAFile       = "certificate_authority_file"
	fieldVersion      = "expected_version"
	actionTest        = "test"
	sharedSecretBytes = 32
)

// textFields are the inputs whose values go back into a refused form; the
// shared secret never does.
var textFields = []string{fieldName, fieldURL, fieldParent, fieldInsecure, fieldServerName, fieldCA, fieldCAFile, fieldVersion}

// formData is the cluster form, to add a cluster or change one.
type formData struct {
	Form *ui.Form
	// Action is where the form posts; Edit: it changes a stored cluster.
	Action string
	Edit   bool
	// Parents are where a new cluster's namespace may go: the namespaces
	// of the default cluster whose children the viewer may edit.
	Parents []ui.Namespace
	// CanManage: the viewer may add and change clusters.
	CanManage bool
	// SecretStored: the cluster being changed has a secret, which an
	// empty input keeps. SecretDropped: the refused or tested form had a
	// secret, which is not sent back.
	SecretStored, SecretDropped bool
	// Tested says that "Test connection" reached the databroker.
	Tested string
}

// readForm copies the inputs of a posted cluster form into a form to show
// again, and reads the cluster they describe. The secret is decoded from
// base64; an error of an input is recorded on the form, not returned.
func readForm(r *http.Request, f *ui.Form) *store.Cluster {
	for _, k := range textFields {
		f.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	// The input of the secret is on the form, always blank, so that its
	// refusals land next to it.
	f.Values[fieldSecret] = ""
	if f.Values[fieldInsecure] != "" {
		f.Values[fieldInsecure] = "true"
	}
	cl := &store.Cluster{
		ObjectMeta:           store.ObjectMeta{Name: f.Get(fieldName)},
		DatabrokerServiceURL: f.Get(fieldURL),
		CertificateAuthority: []byte(f.Get(fieldCA)),
	}
	if f.Get(fieldCA) == "" {
		cl.CertificateAuthority = nil
	}
	if f.Get(fieldInsecure) != "" {
		cl.InsecureSkipVerify = new(true)
	}
	if v := f.Get(fieldServerName); v != "" {
		cl.OverrideCertificateName = new(v)
	}
	if v := f.Get(fieldCAFile); v != "" {
		cl.CertificateAuthorityFile = new(v)
	}
	secret, err := decodeSecret(r.PostFormValue(fieldSecret))
	if err != nil {
		f.Errors[fieldSecret] = err.Error()
	}
	cl.SharedSecret = secret
	return cl
}

// decodeSecret reads a shared secret as Pomerium's shared_secret is
// written: base64 of 32 bytes. Blank is no secret. The errors never quote
// the input.
func decodeSecret(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		var bad base64.CorruptInputError
		if errors.As(err, &bad) {
			return nil, fmt.Errorf("is not base64: the character at offset %d cannot be decoded", int64(bad))
		}
		return nil, errors.New("is not base64")
	}
	if len(b) != sharedSecretBytes {
		return nil, fmt.Errorf("decodes to %d bytes, want %d: the cluster's shared_secret, base64 as its configuration writes it", len(b), sharedSecretBytes)
	}
	return b, nil
}

// staleMessage is what a form refused for a stale expected version says.
const staleMessage = "someone changed this cluster since you loaded the page, so nothing was saved; " +
	"the page now shows its current version: check the values and submit again to apply yours"

// refuse records a refusal of the use cases on f, next to the input it
// names, and reports whether it was for a stale expected version. The
// cluster's own fields are refused as "cluster.<field>".
func refuse(f *ui.Form, err error) (stale bool) {
	field, _ := ui.FieldOf(err)
	if field == "version" && manage.CodeOf(err) == manage.CodeConflict {
		f.Errors[""] = staleMessage
		return true
	}
	var re *manage.Error
	if errors.As(err, &re) && strings.HasPrefix(re.Field, "cluster.") {
		c := *re
		c.Field = strings.TrimPrefix(c.Field, "cluster.")
		err = &c
	}
	f.Refuse(err)
	return false
}

// testRefusal records why "Test connection" failed: a databroker that did
// not answer next to its URL, anything else as the use cases place it.
func testRefusal(f *ui.Form, err error) {
	if manage.CodeOf(err) == manage.CodeUnavailable {
		var re *manage.Error
		if errors.As(err, &re) {
			f.Errors[fieldURL] = re.Reason
			return
		}
	}
	refuse(f, err)
}

// expectedVersion reads the form's expected_version: the version of the
// cluster the viewer saw. Its refusal names no input: the input is
// hidden, and only a reload mends it.
func expectedVersion(f *ui.Form) (int64, error) {
	s := f.Get(fieldVersion)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, manage.Refuse(manage.CodeInvalid, "", "expected_version: %q is not a version; reload the page and try again", s)
	}
	return v, nil
}

// formError reports whether a form can show err next to its inputs: the
// viewer's own mistakes, conflicts, and a databroker that did not answer a
// test. Anything else (not allowed, not found, internal) gets the error
// page instead.
func formError(err error) bool {
	switch ui.Status(err) {
	case http.StatusBadRequest, http.StatusConflict, http.StatusBadGateway:
		return true
	}
	return false
}

// testCluster tries the connection the form describes and records the
// outcome on d: nothing is saved. It returns the status to show the form
// with, or the error for the error page.
func (s *screen) testCluster(r *http.Request, d *formData, cl *store.Cluster) (int, error) {
	f := d.Form
	if len(cl.SharedSecret) == 0 && cl.ID == "" && f.Err(fieldSecret) == "" {
		f.Errors[fieldSecret] = "is required to test the connection"
	}
	if len(f.Errors) > 0 {
		return http.StatusBadRequest, nil
	}
	err := s.d.App.TestCluster(r.Context(), ui.ViewerFrom(r.Context()).Caller(), cl)
	switch {
	case err == nil:
		d.Tested = fmt.Sprintf("The databroker at %s answered with this shared secret. Nothing was saved.", cl.DatabrokerServiceURL)
		return http.StatusOK, nil
	case !formError(err):
		return 0, err
	}
	testRefusal(f, err)
	return ui.Status(err), nil
}
