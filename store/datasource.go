package store

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// DataSource is an external data source: a URL the console fetches every
// so often, whose rows it keeps in its cluster's databroker as records of
// RecordType, for policies to look up (Pomerium's authorize reads them).
// It lives in its cluster's namespace (the Global namespace for the
// default cluster) and has no name: its record type is unique among the
// data sources of a cluster, since the records of that type in the
// cluster's databroker are the source's to keep equal to its last fetch.
type DataSource struct {
	ObjectMeta
	// URL is fetched with GET: http or https, absolute.
	URL string
	// RecordType is the type of the records written, e.g.
	// "pomerium.io/DirectoryUser" or a type of one's own.
	RecordType string
	// ForeignKey names the field of each row whose value is the record's
	// id.
	ForeignKey string
	// Headers are sent with every fetch. They may hold credentials, so
	// they are sealed at rest like a key pair's key and returned only by a
	// read that asks for secrets ([WithSecrets]); HeaderNames says which
	// are set. On write nil keeps the stored headers and an empty map
	// removes them.
	Headers map[string]string
	// HeaderNames are the names of the headers, sorted: set by the store.
	HeaderNames []string
	// AllowInsecureTLS, when true, accepts any certificate of an https
	// URL; nil is unset (false).
	AllowInsecureTLS *bool
	// ClientTLSKeyID, when set, is the id of the key pair presented as
	// the client certificate: one the cluster may use.
	ClientTLSKeyID string
	// PollingMinDelay is the wait between two fetches; PollingMaxDelay
	// caps the wait after failed fetches, which grows from the first.
	// Zero is the default (DefaultPollingMinDelay, DefaultPollingMaxDelay).
	PollingMinDelay time.Duration
	PollingMaxDelay time.Duration
}

// The polling delays of a data source that sets none, and the least one may
// set: a fetch every second at most.
const (
	DefaultPollingMinDelay = time.Minute
	DefaultPollingMaxDelay = 10 * time.Minute
	MinPollingDelay        = time.Second
)

// pomeriumRecordTypes are the prefixes of the record types Pomerium writes
// and reads itself (its configuration, sessions, users, devices, the
// OAuth 2.1 state of its MCP support): a data source writing them would
// fight Pomerium or forge sessions. Its directory types are not among
// them: feeding those is what data sources are for.
var pomeriumRecordTypes = []string{
	"type.googleapis.com/pomerium.config.",
	"type.googleapis.com/session.",
	"type.googleapis.com/user.",
	"type.googleapis.com/pomerium.device.",
	"type.googleapis.com/oauth21.",
}

// recordTypeChars are what a record type is made of: letters, digits and
// the punctuation of type URLs and domain names.
var recordTypeChars = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:-]*$`)

// headerName is a header's name as HTTP allows it (a token).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func validateDataSource(d *DataSource) error {
	k, id := KindDataSource, d.ID
	d.Name = ""
	if err := checkSourceURL(d.URL); err != nil {
		return invalid(k, id, "url", "%v", err)
	}
	switch rt := d.RecordType; {
	case rt == "":
		return invalid(k, id, "record_type", "is required")
	case len(rt) > MaxNameLength:
		return invalid(k, id, "record_type", "is %d bytes long, at most %d allowed", len(rt), MaxNameLength)
	case !recordTypeChars.MatchString(rt):
		return invalid(k, id, "record_type", "%q may hold letters, digits and . _ / : - only, and must start with a letter or digit", rt)
	case IsPomeriumRecordType(rt):
		return invalid(k, id, "record_type", "%q is a type Pomerium writes itself; choose a type of your own, or pomerium.io/DirectoryUser or pomerium.io/DirectoryGroup", rt)
	}
	if d.ForeignKey == "" {
		return invalid(k, id, "foreign_key", "is required: the field of each row that holds the record's id")
	}
	if reason := textRule(d.ForeignKey); reason != "" {
		return invalid(k, id, "foreign_key", "%s", reason)
	}
	if err := checkHeaders(d.Headers); err != nil {
		return invalid(k, id, "headers", "%v", err)
	}
	if d.Headers != nil {
		d.HeaderNames = slices.Sorted(maps.Keys(d.Headers))
	}
	if d.ClientTLSKeyID != "" && !ValidID(d.ClientTLSKeyID) {
		return invalid(k, id, "client_tls_key_id", "must be the id of a key pair (a UUID)")
	}
	minDelay, maxDelay := d.Delays()
	switch {
	case d.PollingMinDelay < 0 || d.PollingMinDelay > 0 && d.PollingMinDelay < MinPollingDelay:
		return invalid(k, id, "polling_min_delay", "is %v; at least %v, or zero for the default (%v)", d.PollingMinDelay, MinPollingDelay, DefaultPollingMinDelay)
	case d.PollingMaxDelay < 0 || d.PollingMaxDelay > 0 && d.PollingMaxDelay < MinPollingDelay:
		return invalid(k, id, "polling_max_delay", "is %v; at least %v, or zero for the default (%v)", d.PollingMaxDelay, MinPollingDelay, DefaultPollingMaxDelay)
	case maxDelay < minDelay:
		return invalid(k, id, "polling_max_delay", "is %v, less than polling_min_delay (%v)", maxDelay, minDelay)
	}
	return nil
}

// Delays are the polling delays of d, defaults filled in.
func (d *DataSource) Delays() (minDelay, maxDelay time.Duration) {
	minDelay, maxDelay = d.PollingMinDelay, d.PollingMaxDelay
	if minDelay == 0 {
		minDelay = DefaultPollingMinDelay
	}
	if maxDelay == 0 {
		maxDelay = max(DefaultPollingMaxDelay, minDelay)
	}
	return minDelay, maxDelay
}

// IsPomeriumRecordType reports whether records of type t are Pomerium's
// own, which no data source may write.
func IsPomeriumRecordType(t string) bool {
	for _, p := range pomeriumRecordTypes {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// checkSourceURL checks the URL of a data source: absolute http or https
// with a host.
func checkSourceURL(raw string) error {
	if len(raw) > 4096 {
		return fmt.Errorf("is %d bytes long, at most 4096 allowed", len(raw))
	}
	_, err := parseHTTPURL(raw, "send them in headers, which are sealed at rest")
	return err
}

// checkHeaders checks the names and values of a data source's headers.
func checkHeaders(h map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		v := h[name]
		switch {
		case !headerName.MatchString(name):
			return fmt.Errorf("%q is not a header name", name)
		case strings.EqualFold(name, "Host") || strings.EqualFold(name, "Content-Length") || strings.EqualFold(name, "Transfer-Encoding"):
			return fmt.Errorf("%q is set by the fetch itself", http.CanonicalHeaderKey(name))
		case len(v) > 8192:
			return fmt.Errorf("the value of %q is %d bytes long, at most 8192 allowed", name, len(v))
		case !utf8.ValidString(v):
			return fmt.Errorf("the value of %q is not valid UTF-8", name)
		case strings.ContainsAny(v, "\r\n\x00"):
			return fmt.Errorf("the value of %q holds a line break or NUL", name)
		}
	}
	return nil
}

func (d *DataSource) clone() Object {
	c := *d
	c.Headers = maps.Clone(d.Headers)
	c.HeaderNames = slices.Clone(d.HeaderNames)
	if d.AllowInsecureTLS != nil {
		c.AllowInsecureTLS = new(*d.AllowInsecureTLS)
	}
	return &c
}

// DataSourceStatus is what the fetcher of a data source last found: when
// it fetched, how many records the last good fetch made and with which
// fields, and the last error. It outlives the data source until the
// records it wrote are removed, so that a fetcher starting over knows what
// to clean up.
type DataSourceStatus struct {
	// ID is the data source's.
	ID string `json:"id"`
	// ClusterID is the cluster whose databroker holds the records.
	ClusterID string `json:"cluster_id"`
	// RecordType is the type the records were written as.
	RecordType string `json:"record_type"`
	// Removed marks the status of a data source that is gone (or wrote
	// another type since): its records are being deleted.
	Removed bool `json:"removed,omitempty"`
	// LastFetch is the end of the last fetch, good or not.
	LastFetch time.Time `json:"last_fetch"`
	// LastSuccess is the end of the last fetch whose rows were written.
	LastSuccess time.Time `json:"last_success"`
	// Records counts the records of the last good fetch; Fields are the
	// names of the fields seen in its rows, sorted.
	Records int      `json:"records"`
	Fields  []string `json:"fields,omitempty"`
	// LastError and LastErrorAt describe the last failed fetch; cleared by
	// a good one.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at"`
	// Holder is the instance that fetched.
	Holder    string    `json:"holder,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}
