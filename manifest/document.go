package manifest

import (
	"encoding/json"
	"time"
)

// Format names the format of documents this package reads and writes.
const Format = "pomerium-console/v1"

// Document is desired state, or the part of it below one namespace.
type Document struct {
	// Format is always Format.
	Format string `json:"format"`
	// Scope is the path of the namespace the document declares: that
	// namespace and everything below it. Empty is the Global namespace:
	// everything, and the settings.
	Scope      string      `json:"scope,omitempty"`
	Namespaces []Namespace `json:"namespaces,omitempty"`
	// Settings, when absent, are left as they are.
	Settings        *Settings        `json:"settings,omitempty"`
	KeyPairs        []KeyPair        `json:"key_pairs,omitempty"`
	Policies        []Policy         `json:"policies,omitempty"`
	Routes          []Route          `json:"routes,omitempty"`
	ServiceAccounts []ServiceAccount `json:"service_accounts,omitempty"`
	Permissions     []Permission     `json:"permissions,omitempty"`
}

// Namespace is a namespace by its path. The namespaces that hold the
// document's objects exist whether or not they are listed; one is listed
// to exist empty, or for its explicit fields.
type Namespace struct {
	Path     string   `json:"path"`
	Explicit []string `json:"explicit,omitempty"`
}

// Settings are Pomerium's settings.
type Settings struct {
	// Spec is a pomerium.config.Settings in protojson, with references to
	// key pairs by name.
	Spec           json.RawMessage `json:"spec"`
	Explicit       []string        `json:"explicit,omitempty"`
	SecretsOmitted []string        `json:"secrets_omitted,omitempty"`
}

// KeyPair is a certificate and its private key.
type KeyPair struct {
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Certificate string `json:"certificate"`
	// PrivateKey is PEM. Empty keeps the stored key, if any: apply never
	// removes a key.
	PrivateKey     string   `json:"private_key,omitempty"`
	Explicit       []string `json:"explicit,omitempty"`
	SecretsOmitted []string `json:"secrets_omitted,omitempty"`
}

// Policy is a named PPL document.
type Policy struct {
	Namespace   string   `json:"namespace"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	PPL         string   `json:"ppl"`
	Enforced    bool     `json:"enforced,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	Explicit    []string `json:"explicit,omitempty"`
}

// Route is a route of the proxy.
type Route struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Spec is a pomerium.config.Route in protojson, with policy_ids and
	// the key pair fields naming their objects.
	Spec           json.RawMessage `json:"spec"`
	Explicit       []string        `json:"explicit,omitempty"`
	SecretsOmitted []string        `json:"secrets_omitted,omitempty"`
}

// ServiceAccount is a service account by the user it acts as, or by its id
// when it acts as itself.
type ServiceAccount struct {
	Namespace string `json:"namespace"`
	// User is the user id chosen when the account was made, without the
	// "@<namespace id>.pomerium" the console adds outside Global.
	User string `json:"user,omitempty"`
	// ID names an account without a chosen user. Apply never makes one:
	// the console chooses the ids of accounts.
	ID          string     `json:"id,omitempty"`
	Description string     `json:"description,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Explicit    []string   `json:"explicit,omitempty"`
}

// Permission grants a role on a namespace to a user or a group.
type Permission struct {
	Namespace   string `json:"namespace"`
	SubjectType string `json:"subject_type"`
	SubjectID   string `json:"subject_id"`
	Role        string `json:"role"`
}
