package datasources

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// Inputs of the data source form, named as the use cases name the data
// source's fields, so that a refusal lands next to the input it is about.
const (
	fieldCluster    = "cluster_id"
	fieldURL        = "url"
	fieldRecordType = "record_type"
	fieldForeignKey = "foreign_key"
	fieldHeaders    = "headers"
	fieldInsecure   = "allow_insecure_tls"
	fieldKeyPair    = "client_tls_key_id"
	fieldMinDelay   = "polling_min_delay"
	fieldMaxDelay   = "polling_max_delay"
	actionTest      = "test"
)

var textFields = []string{fieldCluster, fieldURL, fieldRecordType, fieldForeignKey, fieldHeaders, fieldInsecure, fieldKeyPair, fieldMinDelay, fieldMaxDelay}

// formData is the data source form, to add a data source or change one.
type formData struct {
	Form *ui.Form
	// Action is where the form posts; Edit: it changes a stored source.
	Action string
	Edit   bool
	// Cluster is the data source's cluster.
	Cluster cluster
	// Preview is what "Test fetch" found.
	Preview *preview
}

// preview is the first rows of a test fetch as a table.
type preview struct {
	Records int
	Fields  []string
	Rows    [][]string
}

func previewOf(p *manage.DataSourcePreview) *preview {
	out := &preview{Records: p.Records, Fields: p.Fields}
	for _, r := range p.Rows {
		m := r.Data.AsMap()
		cells := make([]string, len(p.Fields))
		for i, f := range p.Fields {
			if v, ok := m[f]; ok {
				cells[i] = cellText(v)
			}
		}
		out.Rows = append(out.Rows, cells)
	}
	return out
}

// cellText is a value of a row as a cell shows it: text as it is,
// anything else as JSON.
func cellText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// fill puts a stored data source into the form.
func fill(f *ui.Form, d *store.DataSource) {
	f.Values[fieldURL], f.Values[fieldRecordType], f.Values[fieldForeignKey] = d.URL, d.RecordType, d.ForeignKey
	f.Values[fieldHeaders] = headersText(d.Headers)
	f.Values[fieldKeyPair] = d.ClientTLSKeyID
	f.Values[fieldInsecure] = ""
	if d.AllowInsecureTLS != nil && *d.AllowInsecureTLS {
		f.Values[fieldInsecure] = "true"
	}
	f.Values[fieldMinDelay], f.Values[fieldMaxDelay] = durationText(d.PollingMinDelay), durationText(d.PollingMaxDelay)
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// headersText is headers one a line, "Name: value", by name.
func headersText(h map[string]string) string {
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(h)) {
		lines = append(lines, name+": "+h[name])
	}
	return strings.Join(lines, "\n")
}

// readForm copies the inputs of a posted form into a form to show again,
// and reads the data source they describe; an input that cannot be read
// is refused on the form, not returned.
func readForm(r *http.Request, f *ui.Form) *store.DataSource {
	for _, k := range textFields {
		f.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	d := &store.DataSource{URL: f.Get(fieldURL), RecordType: f.Get(fieldRecordType), ForeignKey: f.Get(fieldForeignKey),
		ClientTLSKeyID: f.Get(fieldKeyPair)}
	if f.Get(fieldInsecure) != "" {
		f.Values[fieldInsecure] = "true"
		d.AllowInsecureTLS = new(true)
	}
	var err error
	if d.Headers, err = parseHeaders(f.Get(fieldHeaders)); err != nil {
		f.Errors[fieldHeaders] = err.Error()
	}
	for field, dst := range map[string]*time.Duration{fieldMinDelay: &d.PollingMinDelay, fieldMaxDelay: &d.PollingMaxDelay} {
		if *dst, err = parseDelay(f.Get(field)); err != nil {
			f.Errors[field] = err.Error()
		}
	}
	return d
}

// parseHeaders reads headers one a line, "Name: value"; blank lines are
// skipped. The errors never quote a value: it may be a credential.
func parseHeaders(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want Name: value", i+1)
		}
		name = strings.TrimSpace(name)
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("line %d: header %q is set twice", i+1, name)
		}
		out[name] = strings.TrimSpace(value)
	}
	return out, nil
}

// parseDelay reads a polling delay such as 90s or 5m; blank is the
// default.
func parseDelay(text string) (time.Duration, error) {
	if text == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 90s, 5m or 1h", text)
	}
	return d, nil
}

// refuse records a refusal of the use cases on f, next to the input it
// names; a URL that could not be fetched next to the URL.
func refuse(f *ui.Form, err error) {
	var re *manage.Error
	if errors.As(err, &re) && re.Code == manage.CodeUnavailable {
		f.Errors[fieldURL] = "the test fetch failed: " + re.Reason
		return
	}
	f.Refuse(err)
}

// formError reports whether a form can show err next to its inputs: the
// viewer's own mistakes, conflicts and a fetch that failed. Anything else
// gets the error page.
func formError(err error) bool {
	switch ui.Status(err) {
	case http.StatusBadRequest, http.StatusConflict, http.StatusBadGateway:
		return true
	}
	return false
}

// testFetch fetches the data source the form describes once and records
// what it found on d: nothing is saved. It returns the status to show the
// form with, or the error for the error page.
func (s *screen) testFetch(r *http.Request, d *formData, ds *store.DataSource) (int, error) {
	if len(d.Form.Errors) > 0 {
		return http.StatusBadRequest, nil
	}
	p, err := s.d.App.TestDataSource(r.Context(), ui.ViewerFrom(r.Context()).Caller(), manage.DataSourceInput{DataSource: ds, ClusterID: d.Cluster.ID})
	switch {
	case err == nil:
		d.Preview = previewOf(p)
		return http.StatusOK, nil
	case !formError(err):
		return 0, err
	}
	refuse(d.Form, err)
	return ui.Status(err), nil
}

// status is what a data source's fetcher last found, as pages show it.
type status struct {
	Fetched          bool
	LastFetch        time.Time
	LastSuccess      time.Time
	Records          int
	Fields           []string
	LastError        string
	LastErrorAt      time.Time
	Failing, Pending bool
}

func statusOf(d *manage.DataSource) status {
	st := d.Status
	if st == nil {
		return status{Pending: true}
	}
	return status{Fetched: true, LastFetch: st.LastFetch, LastSuccess: st.LastSuccess, Records: st.Records, Fields: st.Fields,
		LastError: st.LastError, LastErrorAt: st.LastErrorAt, Failing: st.LastError != "", Pending: st.LastFetch.IsZero()}
}
