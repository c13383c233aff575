package store

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
)

// Limits on the size of input.
const (
	MaxNameLength = 255
	MaxPPLSize    = 256 << 10
	// MaxObjectSize bounds the encoded size of any one object: a route or
	// settings object past it would not fit Pomerium's records comfortably.
	MaxObjectSize = 1 << 20
)

// ValidID reports whether id is a canonical lower-case UUID.
func ValidID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// MaxEntityID is the longest id of a databroker entity (a session, a
// device) the activity log is searched by.
const MaxEntityID = 256

// ValidEntityID reports whether id may name an entity of the activity log:
// an object's id (a UUID), or a databroker entity's, which Pomerium chooses
// (a session's may be an identity provider's jti): printable, at most
// MaxEntityID bytes.
func ValidEntityID(id string) bool {
	if ValidID(id) {
		return true
	}
	if id == "" || len(id) > MaxEntityID || !utf8.ValidString(id) {
		return false
	}
	return !strings.ContainsFunc(id, unicode.IsControl)
}

// Validate checks the rules of obj that need nothing but the object itself:
// field shapes, sizes, required fields. It normalises obj in place (clears the
// fields the store owns) and returns the first *Error found. Rules that need
// the rest of the store (namespaces exist, names are unique, references
// resolve) are checked by the backend inside the write transaction.
func Validate(obj Object, now time.Time, create bool) error {
	m := obj.GetObjectMeta()
	k := obj.Kind()
	if m.ID != "" && !ValidID(m.ID) {
		return invalid(k, m.ID, "id", "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000")
	}
	if explicit := ExplicitOf(obj); explicit != nil {
		if err := normalizeExplicit(k, m.ID, explicit); err != nil {
			return err
		}
	}
	switch o := obj.(type) {
	case *Namespace:
		return validateName(k, m)
	case *Policy:
		return validatePolicy(o)
	case *Route:
		return validateRoute(o)
	case *Settings:
		return validateSettings(o)
	case *KeyPair:
		return validateKeyPair(o)
	case *Cluster:
		return validateCluster(o, create)
	case *DataSource:
		return validateDataSource(o)
	case *ServiceAccount:
		return validateServiceAccount(o, now, create)
	case *NamespacePermission:
		return validatePermission(o)
	}
	return invalid(k, m.ID, "kind", "unknown kind %q", k)
}

func validateName(k Kind, m *ObjectMeta) error {
	if m.Name == "" {
		return invalid(k, m.ID, "name", "is required")
	}
	if reason := textRule(m.Name); reason != "" {
		return invalid(k, m.ID, "name", "%s", reason)
	}
	return nil
}

// textRule says what is wrong with a non-empty name or identifier, "" for
// nothing.
func textRule(s string) string {
	switch {
	case len(s) > MaxNameLength:
		return fmt.Sprintf("is %d bytes long, at most %d allowed", len(s), MaxNameLength)
	case !utf8.ValidString(s):
		// Names become protobuf strings (records, API answers), which
		// refuse invalid UTF-8: stored, such a name could never be read.
		return "is not valid UTF-8"
	case strings.TrimSpace(s) != s:
		return "must not start or end with white space"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

func validatePolicy(p *Policy) error {
	if err := validateName(KindPolicy, &p.ObjectMeta); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(p.PPL) == "":
		return invalid(KindPolicy, p.ID, "ppl", "is required")
	case len(p.PPL) > MaxPPLSize:
		return invalid(KindPolicy, p.ID, "ppl", "is %d bytes long, at most %d allowed", len(p.PPL), MaxPPLSize)
	}
	for _, f := range []struct{ field, text string }{
		{"ppl", p.PPL}, {"description", p.Description}, {"explanation", p.Explanation}, {"remediation", p.Remediation},
	} {
		if !utf8.ValidString(f.text) {
			return invalid(KindPolicy, p.ID, f.field, "is not valid UTF-8")
		}
	}
	return nil
}

func validateRoute(r *Route) error {
	if err := validateName(KindRoute, &r.ObjectMeta); err != nil {
		return err
	}
	s := r.Spec
	if s == nil {
		return invalid(KindRoute, r.ID, "spec", "is required")
	}
	// The store owns identity and computed fields; callers may send them
	// back as they read them, so they are dropped rather than refused.
	s.Id, s.NamespaceId, s.OriginatorId, s.Name = nil, nil, nil, nil
	s.CreatedAt, s.ModifiedAt, s.NamespaceName = nil, nil, nil
	s.EnforcedPolicies, s.AssignedPolicies = nil, nil
	switch {
	case s.From == "":
		return invalid(KindRoute, r.ID, "spec.from", "is required")
	case len(s.Policies) > 0:
		return invalid(KindRoute, r.ID, "spec.policies", "inline policies are not supported: create a policy and list its id in policy_ids")
	case len(s.PplPolicies) > 0:
		return invalid(KindRoute, r.ID, "spec.ppl_policies", "inline policies are not supported: create a policy and list its id in policy_ids")
	}
	seen := make(map[string]int, len(s.PolicyIds))
	for i, id := range s.PolicyIds {
		field := fmt.Sprintf("spec.policy_ids[%d]", i)
		if !ValidID(id) {
			return invalid(KindRoute, r.ID, field, "%q is not a UUID", id)
		}
		if j, dup := seen[id]; dup {
			return invalid(KindRoute, r.ID, field, "policy %s is already listed at index %d", id, j)
		}
		seen[id] = i
	}
	return checkSize(KindRoute, r.ID, s)
}

func validateSettings(s *Settings) error {
	if s.ID == "" {
		s.ID = SettingsID
	}
	switch s.ID {
	case SettingsID:
		s.NamespaceID = GlobalNamespaceID
	default:
		// A cluster's settings bear its id and live in its namespace,
		// which the backend checks is a cluster's.
		s.NamespaceID = s.ID
	}
	s.Name = ""
	if s.Spec == nil {
		return invalid(KindSettings, s.ID, "spec", "is required")
	}
	s.Spec.Id, s.Spec.NamespaceId, s.Spec.OriginatorId, s.Spec.Name = nil, nil, nil, nil
	s.Spec.CreatedAt, s.Spec.ModifiedAt = nil, nil
	return checkSize(KindSettings, s.ID, s.Spec)
}

// checkSize bounds the encoded size of a spec and refuses a string in it
// that protobuf could not encode (invalid UTF-8), naming its field.
func checkSize(k Kind, id string, m proto.Message) error {
	if n := proto.Size(m); n > MaxObjectSize {
		return invalid(k, id, "spec", "encodes to %d bytes, at most %d allowed", n, MaxObjectSize)
	}
	if path := invalidUTF8Path("spec", m.ProtoReflect()); path != "" {
		return invalid(k, id, path, "is not valid UTF-8")
	}
	return nil
}

func validateKeyPair(kp *KeyPair) error {
	if err := validateName(KindKeyPair, &kp.ObjectMeta); err != nil {
		return err
	}
	if len(kp.Certificate)+len(kp.PrivateKey) > MaxObjectSize {
		return invalid(KindKeyPair, kp.ID, "certificate", "certificate and key exceed %d bytes", MaxObjectSize)
	}
	certs, err := ParseCertificates(kp.Certificate)
	if err != nil {
		return invalid(KindKeyPair, kp.ID, "certificate", "%v", err)
	}
	if len(kp.PrivateKey) == 0 {
		return nil
	}
	key, err := parsePrivateKey(kp.PrivateKey)
	if err != nil {
		return invalid(KindKeyPair, kp.ID, "private_key", "%v", err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(certs[0].PublicKey) {
		return invalid(KindKeyPair, kp.ID, "private_key", "does not match the public key of the first certificate")
	}
	return nil
}

// ParseCertificates decodes every CERTIFICATE block of a PEM bundle.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("is not PEM (after %d certificates)", len(certs))
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("holds no PEM CERTIFICATE block")
	}
	return certs, nil
}

func parsePrivateKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key type %T is not supported", key)
	}
	return signer, nil
}

func validateServiceAccount(sa *ServiceAccount, now time.Time, create bool) error {
	if err := validateName(KindServiceAccount, &sa.ObjectMeta); err != nil {
		return err
	}
	if sa.UserID != "" {
		if reason := textRule(sa.UserID); reason != "" {
			return invalid(KindServiceAccount, sa.ID, "user_id", "%s", reason)
		}
	}
	if len(sa.Description) > 4096 {
		return invalid(KindServiceAccount, sa.ID, "description", "is %d bytes long, at most 4096 allowed", len(sa.Description))
	}
	if !utf8.ValidString(sa.Description) {
		return invalid(KindServiceAccount, sa.ID, "description", "is not valid UTF-8")
	}
	if !sa.ExpiresAt.IsZero() && !sa.ExpiresAt.After(now) && create {
		return invalid(KindServiceAccount, sa.ID, "expires_at", "%s is not in the future", sa.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func validatePermission(p *NamespacePermission) error {
	p.Name = ""
	switch {
	case p.SubjectType != SubjectUser && p.SubjectType != SubjectGroup:
		return invalid(KindNamespacePermission, p.ID, "subject_type", "%q is not one of user, group", p.SubjectType)
	case strings.TrimSpace(p.SubjectID) == "":
		return invalid(KindNamespacePermission, p.ID, "subject_id", "is required")
	case len(p.SubjectID) > MaxNameLength:
		return invalid(KindNamespacePermission, p.ID, "subject_id", "is %d bytes long, at most %d allowed", len(p.SubjectID), MaxNameLength)
	case !utf8.ValidString(p.SubjectID):
		return invalid(KindNamespacePermission, p.ID, "subject_id", "is not valid UTF-8")
	case strings.IndexFunc(p.SubjectID, unicode.IsControl) >= 0:
		// Also what keeps a NUL byte, which PostgreSQL text refuses, from
		// failing the write as an internal error.
		return invalid(KindNamespacePermission, p.ID, "subject_id", "must not contain control characters")
	}
	switch p.Role {
	case RoleViewer, RoleManager, RoleAdmin:
		return nil
	}
	return invalid(KindNamespacePermission, p.ID, "role", "%q is not one of viewer, manager, admin", p.Role)
}

// sharedSecretSize is the size of a cluster's shared secret.
const sharedSecretSize = 32

func validateCluster(c *Cluster, create bool) error {
	if err := validateName(KindCluster, &c.ObjectMeta); err != nil {
		return err
	}
	if strings.EqualFold(c.Name, DefaultClusterName) {
		return invalid(KindCluster, c.ID, "name", "%q is the name of the default cluster", DefaultClusterName)
	}
	c.NamespaceID = GlobalNamespaceID
	if err := checkServiceURL(c.DatabrokerServiceURL); err != nil {
		return invalid(KindCluster, c.ID, "databroker_service_url", "%v", err)
	}
	switch n := len(c.SharedSecret); {
	case n == 0 && create:
		return invalid(KindCluster, c.ID, "shared_secret", "is required: the cluster's shared secret, 32 bytes")
	case n != 0 && n != sharedSecretSize:
		return invalid(KindCluster, c.ID, "shared_secret", "is %d bytes, want %d (the base64-decoded shared_secret of the cluster)", n, sharedSecretSize)
	}
	if len(c.CertificateAuthority) > MaxObjectSize/4 {
		return invalid(KindCluster, c.ID, "certificate_authority", "is %d bytes, at most %d allowed", len(c.CertificateAuthority), MaxObjectSize/4)
	}
	if len(c.CertificateAuthority) > 0 {
		certs, err := ParseCertificates(c.CertificateAuthority)
		if err != nil {
			return invalid(KindCluster, c.ID, "certificate_authority", "%v", err)
		}
		if len(certs) == 0 {
			return invalid(KindCluster, c.ID, "certificate_authority", "holds no certificate")
		}
	}
	if f := c.CertificateAuthorityFile; f != nil && *f != "" {
		if len(*f) > 4096 || !utf8.ValidString(*f) || strings.IndexFunc(*f, unicode.IsControl) >= 0 {
			return invalid(KindCluster, c.ID, "certificate_authority_file", "is not a file path")
		}
		if len(c.CertificateAuthority) > 0 {
			return invalid(KindCluster, c.ID, "certificate_authority_file", "set either certificate_authority or certificate_authority_file, not both")
		}
	}
	if n := c.OverrideCertificateName; n != nil && (len(*n) > MaxNameLength || !utf8.ValidString(*n) || strings.IndexFunc(*n, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0) {
		return invalid(KindCluster, c.ID, "override_certificate_name", "is not a host name")
	}
	return nil
}

// checkServiceURL checks a databroker URL: http or https, a host, nothing
// else.
func checkServiceURL(raw string) error {
	u, err := parseHTTPURL(raw, "the shared secret authenticates the console")
	switch {
	case err != nil:
		return err
	case u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		return fmt.Errorf("%q must be a scheme and host only", raw)
	}
	return nil
}

// parseHTTPURL parses a required absolute http or https URL with a host
// and no credentials; instead says what authenticates the console there.
func parseHTTPURL(raw, instead string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("is required")
	}
	if !utf8.ValidString(raw) {
		return nil, fmt.Errorf("is not valid UTF-8")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("is not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q: the scheme must be http or https", raw)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%q has no host", raw)
	case u.User != nil:
		return nil, fmt.Errorf("%q must not carry credentials: %s", raw, instead)
	}
	return u, nil
}

// DefaultClusterName is the name of the default cluster, which no added
// cluster may take.
const DefaultClusterName = "default"

// UniqueKey is the value that must be unique among live objects of one kind
// in one namespace: the name, for permissions the subject, for data
// sources the record type, and for service accounts with a chosen user id
// that id.
func UniqueKey(obj Object) string {
	switch o := obj.(type) {
	case *NamespacePermission:
		return string(o.SubjectType) + ":" + o.SubjectID
	case *Settings:
		return "settings"
	case *DataSource:
		// One data source a record type in a cluster: the records of that
		// type in its databroker are the source's.
		return o.RecordType
	case *Cluster:
		// A retiring cluster gives its name up at once.
		if o.Retiring {
			return "retiring\x1f" + o.ID
		}
		return strings.ToLower(o.Name)
	case *ServiceAccount:
		// A chosen user id is unique in the namespace. The prefix holds a
		// control character, which no name may: a user id never collides
		// with the name of an account without one.
		if o.UserID != "" {
			return "user_id\x1f" + o.UserID
		}
	}
	return obj.GetObjectMeta().Name
}
