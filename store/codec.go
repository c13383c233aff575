package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pmezard/go-difflib/difflib"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// The codec turns the kind-specific part of an object (everything but
// ObjectMeta, which backends keep in columns) into bytes and back. Routes and
// settings are stored as binary protobuf: they are the bulk of the data and
// the reconciler reads all of them often. The small kinds are JSON.

type namespaceData struct {
	Cluster  bool     `json:"cluster,omitempty"`
	Explicit []string `json:"explicit,omitempty"`
}

type clusterData struct {
	DatabrokerServiceURL     string  `json:"databroker_service_url"`
	InsecureSkipVerify       *bool   `json:"insecure_skip_verify,omitempty"`
	OverrideCertificateName  *string `json:"override_certificate_name,omitempty"`
	CertificateAuthority     string  `json:"certificate_authority,omitempty"`
	CertificateAuthorityFile *string `json:"certificate_authority_file,omitempty"`
	Retiring                 bool    `json:"retiring,omitempty"`
}

type dataSourceData struct {
	URL              string   `json:"url"`
	RecordType       string   `json:"record_type"`
	ForeignKey       string   `json:"foreign_key"`
	HeaderNames      []string `json:"header_names,omitempty"`
	AllowInsecureTLS *bool    `json:"allow_insecure_tls,omitempty"`
	ClientTLSKeyID   string   `json:"client_tls_key_id,omitempty"`
	PollingMinDelay  string   `json:"polling_min_delay,omitempty"`
	PollingMaxDelay  string   `json:"polling_max_delay,omitempty"`
}

type policyData struct {
	Description string   `json:"description,omitempty"`
	PPL         string   `json:"ppl"`
	Enforced    bool     `json:"enforced,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	Explicit    []string `json:"explicit,omitempty"`
}

type keyPairData struct {
	Certificate string   `json:"certificate"`
	Explicit    []string `json:"explicit,omitempty"`
}

type serviceAccountData struct {
	UserID      string     `json:"user_id,omitempty"`
	Description string     `json:"description,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Explicit    []string   `json:"explicit,omitempty"`
}

type permissionData struct {
	SubjectType SubjectType `json:"subject_type"`
	SubjectID   string      `json:"subject_id"`
	Role        Role        `json:"role"`
}

// EncodeData encodes the kind-specific fields of obj. The secrets of the
// sealed kinds are not part of it: backends store them separately,
// sealed. Those of route and settings specs are, in plain text: backends
// store SealData's form, which seals them.
func EncodeData(obj Object) ([]byte, error) {
	switch o := obj.(type) {
	case *Namespace:
		return json.Marshal(namespaceData{o.Cluster, o.Explicit})
	case *Policy:
		return json.Marshal(policyData{o.Description, o.PPL, o.Enforced, o.Explanation, o.Remediation, o.Explicit})
	case *Route:
		return encodeSpec(o.Spec, o.Explicit)
	case *Settings:
		return encodeSpec(o.Spec, o.Explicit)
	case *KeyPair:
		return json.Marshal(keyPairData{string(o.Certificate), o.Explicit})
	case *ServiceAccount:
		d := serviceAccountData{UserID: o.UserID, Description: o.Description, Explicit: o.Explicit}
		if !o.ExpiresAt.IsZero() {
			t := o.ExpiresAt.UTC()
			d.ExpiresAt = &t
		}
		return json.Marshal(d)
	case *NamespacePermission:
		return json.Marshal(permissionData{o.SubjectType, o.SubjectID, o.Role})
	case *Cluster:
		return json.Marshal(clusterData{o.DatabrokerServiceURL, o.InsecureSkipVerify, o.OverrideCertificateName,
			string(o.CertificateAuthority), o.CertificateAuthorityFile, o.Retiring})
	case *DataSource:
		return json.Marshal(dataSourceData{o.URL, o.RecordType, o.ForeignKey, o.HeaderNames, o.AllowInsecureTLS,
			o.ClientTLSKeyID, durationText(o.PollingMinDelay), durationText(o.PollingMaxDelay)})
	}
	return nil, fmt.Errorf("encode %s: unknown kind", obj.Kind())
}

// DecodeData returns an object of kind k whose kind-specific fields are
// decoded from data as EncodeData wrote it; the caller fills in
// ObjectMeta. Data whose secrets SealData sealed is OpenData's.
func DecodeData(k Kind, data []byte) (Object, error) {
	obj, sealed, err := decodeData(k, data)
	if err != nil {
		return nil, err
	}
	if sealed != nil {
		return nil, fmt.Errorf("decode %s: its secrets are sealed: open it with the store's key", k)
	}
	forgetEncoding(obj)
	return obj, nil
}

// forgetEncoding drops the encoding decodeData keeps of a route's spec: it
// holds on to the data it was decoded from.
func forgetEncoding(obj Object) {
	if r, ok := obj.(*Route); ok {
		r.SpecEncoding = nil
	}
}

// decodeData decodes data as DecodeData does and returns, apart, the
// secrets a route or settings spec keeps sealed (nil: none). A route keeps
// its spec's encoding in data unless it has sealed secrets.
func decodeData(k Kind, data []byte) (_ Object, sealed []byte, err error) {
	obj := NewObject(k)
	switch o := obj.(type) {
	case nil:
		return nil, nil, fmt.Errorf("decode: unknown kind %q", k)
	case *Namespace:
		var d namespaceData
		err = json.Unmarshal(data, &d)
		o.Cluster, o.Explicit = d.Cluster, d.Explicit
	case *Policy:
		var d policyData
		err = json.Unmarshal(data, &d)
		o.Description, o.PPL, o.Enforced, o.Explanation, o.Remediation = d.Description, d.PPL, d.Enforced, d.Explanation, d.Remediation
		o.Explicit = d.Explicit
	case *Route:
		var specLen int
		o.Explicit, sealed, specLen, err = decodeSpec(data, o.Spec)
		if specLen >= 0 {
			o.SpecEncoding = data[:specLen:specLen]
		}
	case *Settings:
		o.Explicit, sealed, _, err = decodeSpec(data, o.Spec)
	case *KeyPair:
		var d keyPairData
		err = json.Unmarshal(data, &d)
		o.Certificate, o.Explicit = []byte(d.Certificate), d.Explicit
	case *ServiceAccount:
		var d serviceAccountData
		err = json.Unmarshal(data, &d)
		o.UserID, o.Description, o.Explicit = d.UserID, d.Description, d.Explicit
		if d.ExpiresAt != nil {
			o.ExpiresAt = *d.ExpiresAt
		}
	case *NamespacePermission:
		var d permissionData
		err = json.Unmarshal(data, &d)
		o.SubjectType, o.SubjectID, o.Role = d.SubjectType, d.SubjectID, d.Role
	case *Cluster:
		var d clusterData
		err = json.Unmarshal(data, &d)
		o.DatabrokerServiceURL, o.InsecureSkipVerify, o.OverrideCertificateName = d.DatabrokerServiceURL, d.InsecureSkipVerify, d.OverrideCertificateName
		o.CertificateAuthorityFile, o.Retiring = d.CertificateAuthorityFile, d.Retiring
		if d.CertificateAuthority != "" {
			o.CertificateAuthority = []byte(d.CertificateAuthority)
		}
	case *DataSource:
		var d dataSourceData
		if err = json.Unmarshal(data, &d); err != nil {
			break
		}
		o.URL, o.RecordType, o.ForeignKey, o.HeaderNames = d.URL, d.RecordType, d.ForeignKey, d.HeaderNames
		o.AllowInsecureTLS, o.ClientTLSKeyID = d.AllowInsecureTLS, d.ClientTLSKeyID
		if o.PollingMinDelay, err = parseDurationText(d.PollingMinDelay); err != nil {
			break
		}
		o.PollingMaxDelay, err = parseDurationText(d.PollingMaxDelay)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", k, err)
	}
	return obj, sealed, nil
}

// durationText is a duration as the codec keeps it: "" for zero.
func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func parseDurationText(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// SearchText is what ListQuery.Query matches: the lower-cased name, for
// routes the from and to URLs too, and for service accounts their chosen
// user id.
func SearchText(obj Object) string {
	parts := []string{UniqueKey(obj)}
	switch o := obj.(type) {
	case *Route:
		if o.Spec != nil {
			parts = append(parts, o.Spec.From)
			parts = append(parts, o.Spec.To...)
		}
	case *ServiceAccount:
		parts = []string{o.Name, o.UserID}
	}
	return strings.ToLower(strings.Join(parts, "\n"))
}

var snapshotJSON = protojson.MarshalOptions{UseProtoNames: true}

// Snapshot renders obj for the activity log: indented JSON with sorted keys,
// without secrets, versions or modification times, so that a diff between two
// snapshots shows what a person changed and nothing else.
func Snapshot(obj Object) (string, error) {
	m := obj.GetObjectMeta()
	doc := map[string]any{
		"id":     m.ID,
		"kind":   obj.Kind(),
		"origin": m.Origin,
	}
	if m.NamespaceID != "" {
		doc["namespace_id"] = m.NamespaceID
	}
	if m.Name != "" {
		doc["name"] = m.Name
	}
	if m.OriginRef != "" {
		doc["origin_ref"] = m.OriginRef
	}
	switch o := obj.(type) {
	case *Route:
		if err := addProto(doc, o.Spec, o.Explicit); err != nil {
			return "", err
		}
	case *Settings:
		if err := addProto(doc, o.Spec, o.Explicit); err != nil {
			return "", err
		}
	case *KeyPair:
		doc["certificate"] = string(o.Certificate)
		doc["has_private_key"] = o.HasPrivateKey || len(o.PrivateKey) > 0
		addExplicit(doc, o.Explicit)
	case *Cluster:
		// EncodeData leaves the shared secret out; the log says whether
		// one is stored.
		data, err := EncodeData(o)
		if err != nil {
			return "", err
		}
		doc["spec"] = json.RawMessage(data)
		doc["has_shared_secret"] = o.HasSharedSecret || len(o.SharedSecret) > 0
	default:
		// The explicit fields go beside the spec, as for every kind.
		plain := obj.clone()
		if explicit := ExplicitOf(plain); explicit != nil {
			addExplicit(doc, *explicit)
			*explicit = nil
		}
		data, err := EncodeData(plain)
		if err != nil {
			return "", err
		}
		doc["spec"] = json.RawMessage(data)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", fmt.Errorf("snapshot %s %s: %w", obj.Kind(), m.ID, err)
	}
	return string(out), nil
}

// addProto adds a spec and its explicit fields. An explicit field that
// names a secret is listed with the secrets that were set, whose values
// the log never holds.
func addProto(doc map[string]any, m proto.Message, explicit []string) error {
	m, secrets := withoutSecrets(m)
	explicit, secretExplicit := withoutSecretPaths(m.ProtoReflect().Descriptor(), explicit)
	for _, p := range secretExplicit {
		secrets = append(secrets, "spec."+fieldOf(p))
	}
	if len(secrets) > 0 {
		slices.Sort(secrets)
		doc["redacted"] = slices.Compact(secrets)
	}
	addExplicit(doc, explicit)
	raw, err := snapshotJSON.Marshal(m)
	if err != nil {
		return fmt.Errorf("snapshot spec: %w", err)
	}
	// protojson output is deliberately unstable in its spacing; a round trip
	// through encoding/json makes it stable and sorts the keys.
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("snapshot spec: %w", err)
	}
	doc["spec"] = v
	return nil
}

// addExplicit lists the fields the writer set explicitly to their zero
// value, so that the log tells allow_websockets: false from unset.
func addExplicit(doc map[string]any, explicit []string) {
	if len(explicit) > 0 {
		doc["explicit"] = explicit
	}
}

// Diff returns a unified line diff from before to after and the number of
// lines added and removed.
func Diff(before, after string) (text string, added, removed int) {
	a, b := difflib.SplitLines(before), difflib.SplitLines(after)
	if before == "" {
		a = nil
	}
	if after == "" {
		b = nil
	}
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: a, B: b, FromFile: "previous", ToFile: "current", Context: 3,
	})
	if err != nil {
		// Writes go to an in-memory buffer and cannot fail.
		panic(err)
	}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
		case strings.HasPrefix(line, "+"):
			added++
		case strings.HasPrefix(line, "-"):
			removed++
		}
	}
	return text, added, removed
}
