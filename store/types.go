package store

import (
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// GlobalNamespaceID is the id of the root of the namespace tree. It always
// exists and cannot be deleted; the value is the one the Enterprise Console uses.
const GlobalNamespaceID = "9d8dbd2c-8cce-4e66-9c1f-c490b4a07243"

// SettingsID is the id of the settings of the default cluster, in the
// Global namespace. The settings of any other cluster bear the cluster's id.
const SettingsID = "4c1a5b0e-8f3d-4e4b-9a57-2f1c0d6e9b21"

// DefaultClusterID is the id of the default cluster: the Pomerium
// deployment the configuration names (databroker_service_url, or the
// embedded databroker). A cluster's id is the id of the namespace it owns,
// and the default cluster owns the Global namespace. It is not stored.
const DefaultClusterID = GlobalNamespaceID

// Kind names a kind of object. The values double as the entity types of the
// activity log.
type Kind string

// The kinds of desired state.
const (
	KindNamespace           Kind = "namespace"
	KindPolicy              Kind = "policy"
	KindRoute               Kind = "route"
	KindSettings            Kind = "settings"
	KindKeyPair             Kind = "key_pair"
	KindServiceAccount      Kind = "service_account"
	KindNamespacePermission Kind = "namespace_permission"
	KindCluster             Kind = "cluster"
	KindDataSource          Kind = "data_source"
)

// Kinds lists every kind in the order a reader should apply them: containers
// before contents, referenced objects before the objects referencing them.
var Kinds = []Kind{
	KindNamespace, KindCluster, KindSettings, KindKeyPair, KindPolicy, KindRoute,
	KindDataSource, KindServiceAccount, KindNamespacePermission,
}

// The entity types of the activity log that are not desired state: what
// Pomerium keeps in a cluster's databroker and the console changes there
// as Pomerium itself would (see Note).
const (
	EntitySession    Kind = "session"
	EntityDevice     Kind = "device"
	EntityDeviceType Kind = "device_type"
)

// EntityTypes lists every entity type of the activity log: the kinds, then
// the entities of the databroker.
var EntityTypes = append(slices.Clone(Kinds), EntitySession, EntityDevice, EntityDeviceType)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// Origin says through which surface an object was last written.
type Origin string

// The origins of desired state.
const (
	OriginAPI        Origin = "api"
	OriginUI         Origin = "ui"
	OriginKubernetes Origin = "kubernetes"
	OriginImport     Origin = "import"
	// OriginSystem marks objects the store creates itself, such as the Global
	// namespace.
	OriginSystem Origin = "system"
)

// Valid reports whether o is a known origin.
func (o Origin) Valid() bool { return slices.Contains(origins[:], o) }

// origins are the origins there are.
var origins = [...]Origin{OriginAPI, OriginUI, OriginKubernetes, OriginImport, OriginSystem}

// Shared returns the constant equal to o, or o when none is: objects read
// from a store then share one string for their origin instead of holding a
// copy each.
func (o Origin) Shared() Origin {
	if i := slices.Index(origins[:], o); i >= 0 {
		return origins[i]
	}
	return o
}

// ObjectMeta is what every object has, whatever its kind.
type ObjectMeta struct {
	// ID is a UUID. Empty on create: the store assigns one.
	ID string
	// NamespaceID is the namespace the object lives in. For a Namespace it is
	// the parent; the Global namespace has none.
	NamespaceID string
	// Name is unique among the objects of one kind in one namespace. Service
	// accounts, permissions and settings have no user-chosen name.
	Name string
	// Origin is the surface that last wrote the object.
	Origin Origin
	// OriginRef points back at the source of an object written from outside,
	// e.g. "Route default/app" for a Kubernetes object. Objects of origin
	// kubernetes are read-only to every other origin.
	OriginRef  string
	CreatedAt  time.Time
	ModifiedAt time.Time
	// Version comes from one store-wide increasing sequence: every write of
	// any object takes the next value.
	Version int64
}

// GetObjectMeta returns the metadata of any object.
func (m *ObjectMeta) GetObjectMeta() *ObjectMeta { return m }

// Object is any kind of desired state.
type Object interface {
	Kind() Kind
	GetObjectMeta() *ObjectMeta
	// clone returns a deep copy so that callers never share memory with the
	// store or with each other.
	clone() Object
}

// Clone returns a deep copy of o.
func Clone[T Object](o T) T { return o.clone().(T) }

// Namespace is a node of the namespace tree.
type Namespace struct {
	ObjectMeta
	// Cluster marks the namespace of a cluster: the Cluster object of the
	// same id. Everything in it and below it belongs to that cluster. Only
	// the store's cluster rules set or clear it: writers keep the stored
	// value.
	Cluster bool
	// Explicit names the optional fields of the dashboard API's Namespace
	// its writer set to their zero value
	// ("pomerium.dashboard.Namespace:cluster_id"), which a namespace cannot
	// otherwise tell from unset (see explicit.go).
	Explicit []string
}

// Policy is a named PPL document. An enforced policy applies to every route in
// its namespace and the namespaces below it.
type Policy struct {
	ObjectMeta
	Description string
	// PPL is the policy in Pomerium Policy Language, YAML or JSON.
	PPL         string
	Enforced    bool
	Explanation string
	Remediation string
	// Explicit names the optional fields of pomerium.config.Policy its
	// writer set to their zero value (description "", enforced false),
	// which the fields above cannot tell from unset (see explicit.go).
	Explicit []string
}

// Route is a route of the proxy. Spec carries the route fields of
// pomerium.config.Route the console exposes; the identity fields of Spec (id,
// namespace, name, originator, timestamps and the computed policy lists) are
// owned by the store and cleared on write. Spec.PolicyIds lists the policies
// attached to the route by choice; enforced policies are added at compile time.
type Route struct {
	ObjectMeta
	Spec *configpb.Route
	// Explicit names the optional fields of the dashboard API's Route its
	// writer set to their zero value where Spec cannot tell that from
	// unset ("pomerium.dashboard.Route:allow_websockets"), sorted.
	// Compilation never reads it (see explicit.go).
	Explicit []string

	// SpecEncoding is the deterministic protobuf encoding of Spec as the
	// store keeps it, for a route LoadEach read under WithEncodedSpecs
	// whose spec holds no secret; nil otherwise. It is Spec as read: a
	// reader that changes Spec clears it (a copy by Clone has none).
	// Writes ignore it.
	SpecEncoding []byte
}

// Settings is the one global settings object, id SettingsID, in the Global
// namespace.
type Settings struct {
	ObjectMeta
	Spec *configpb.Settings
	// Explicit names the optional fields of the writer's settings message
	// it set to their zero value where Spec cannot tell that from unset
	// ("pomerium.dashboard.Settings:codec_type",
	// "pomerium.config.Settings:name"), sorted (see explicit.go).
	Explicit []string
}

// KeyPair is a certificate with its private key. The key is encrypted at rest
// and only returned by a Get that asks for it with [WithSecrets].
type KeyPair struct {
	ObjectMeta
	// Certificate is PEM: the certificate and any chain.
	Certificate []byte
	// PrivateKey is PEM. On write, empty keeps the stored key (or stores
	// none); on read it is empty unless asked for.
	PrivateKey []byte
	// HasPrivateKey says whether a key is stored, even when it is not returned.
	HasPrivateKey bool
	// Explicit names the optional fields of pomerium.config.KeyPair its
	// writer set to their zero value (key: no key), which the fields
	// above cannot tell from unset (see explicit.go).
	Explicit []string
}

// Cluster is a Pomerium deployment the console writes to besides the
// default one. Its id is the id of its namespace (a Namespace with Cluster
// set), which it is created with; it lives in the Global namespace, where its
// name is unique.
type Cluster struct {
	ObjectMeta
	// DatabrokerServiceURL is where its databroker answers (http or https).
	DatabrokerServiceURL string
	// SharedSecret is the cluster's shared secret, 32 bytes. It is
	// sealed at rest and, like a key pair's private key, returned only by
	// a read that asks for it with [WithSecrets]. On write, empty keeps
	// the stored secret.
	SharedSecret []byte
	// HasSharedSecret says whether a secret is stored, even when it is not
	// returned.
	HasSharedSecret bool
	// The TLS options of the connection to the databroker; nil is unset.
	InsecureSkipVerify       *bool
	OverrideCertificateName  *string
	CertificateAuthority     []byte
	CertificateAuthorityFile *string
	// Retiring marks a deleted cluster whose records the reconciler is
	// still removing from its databroker; it is deleted for good once they
	// are gone. Its namespace is gone already and its name is free.
	Retiring bool
}

// ServiceAccount is an identity for automation. Its tokens are signed by the
// console and valid while the account exists and has not expired.
type ServiceAccount struct {
	ObjectMeta
	// UserID is the user the account acts as, chosen when it was created:
	// the sub of its tokens and the user subject of the permissions that
	// give it roles. Empty for an account created without one, whose user
	// id is its id (see User). It is unique among the accounts of a
	// namespace.
	UserID      string
	Description string
	// ExpiresAt is zero for an account that never expires.
	ExpiresAt time.Time
	// Explicit names the optional fields of the APIs' service accounts
	// their writer set to their zero value (description ""), which the
	// fields above cannot tell from unset (see explicit.go).
	Explicit []string
}

// User is the user id the account acts as: UserID, or the account's id
// when none was chosen.
func (s *ServiceAccount) User() string {
	if s.UserID != "" {
		return s.UserID
	}
	return s.ID
}

// SubjectType says whether a permission is granted to a user or a group.
type SubjectType string

// The subject types of permissions.
const (
	SubjectUser  SubjectType = "user"
	SubjectGroup SubjectType = "group"
)

// Role is a level of access to a namespace and the namespaces below it.
type Role string

// The roles, weakest first.
const (
	RoleViewer  Role = "viewer"
	RoleManager Role = "manager"
	RoleAdmin   Role = "admin"
)

// NamespacePermission grants a role on a namespace to a user or group. There
// is at most one permission per subject and namespace.
type NamespacePermission struct {
	ObjectMeta
	SubjectType SubjectType
	SubjectID   string
	Role        Role
}

// Kind implementations.
func (*Namespace) Kind() Kind           { return KindNamespace }
func (*Policy) Kind() Kind              { return KindPolicy }
func (*Route) Kind() Kind               { return KindRoute }
func (*Settings) Kind() Kind            { return KindSettings }
func (*KeyPair) Kind() Kind             { return KindKeyPair }
func (*ServiceAccount) Kind() Kind      { return KindServiceAccount }
func (*NamespacePermission) Kind() Kind { return KindNamespacePermission }
func (*Cluster) Kind() Kind             { return KindCluster }
func (*DataSource) Kind() Kind          { return KindDataSource }

func (n *Namespace) clone() Object {
	c := *n
	c.Explicit = slices.Clone(n.Explicit)
	return &c
}

func (p *Policy) clone() Object {
	c := *p
	c.Explicit = slices.Clone(p.Explicit)
	return &c
}

func (r *Route) clone() Object {
	c := *r
	if r.Spec != nil {
		c.Spec = proto.CloneOf(r.Spec)
	}
	c.Explicit = slices.Clone(r.Explicit)
	c.SpecEncoding = nil // a copy is made to be changed
	return &c
}

func (s *ServiceAccount) clone() Object {
	c := *s
	c.Explicit = slices.Clone(s.Explicit)
	return &c
}

func (s *Settings) clone() Object {
	c := *s
	if s.Spec != nil {
		c.Spec = proto.CloneOf(s.Spec)
	}
	c.Explicit = slices.Clone(s.Explicit)
	return &c
}

func (k *KeyPair) clone() Object {
	c := *k
	c.Certificate = append([]byte(nil), k.Certificate...)
	c.PrivateKey = append([]byte(nil), k.PrivateKey...)
	c.Explicit = slices.Clone(k.Explicit)
	return &c
}

func (p *NamespacePermission) clone() Object { c := *p; return &c }

func (cl *Cluster) clone() Object {
	c := *cl
	c.SharedSecret = slices.Clone(cl.SharedSecret)
	c.CertificateAuthority = slices.Clone(cl.CertificateAuthority)
	if cl.InsecureSkipVerify != nil {
		c.InsecureSkipVerify = new(*cl.InsecureSkipVerify)
	}
	if cl.OverrideCertificateName != nil {
		c.OverrideCertificateName = new(*cl.OverrideCertificateName)
	}
	if cl.CertificateAuthorityFile != nil {
		c.CertificateAuthorityFile = new(*cl.CertificateAuthorityFile)
	}
	return &c
}

// routeSpecs are empty route specs to decode into: a first load decodes a
// million, most of a kilobyte each, and its reader hands each back once it
// is done with it (RecycleRouteSpec).
var routeSpecs = sync.Pool{New: func() any { return new(configpb.Route) }}

// NewRouteSpec returns an empty route spec: one handed back by
// RecycleRouteSpec if there is one.
func NewRouteSpec() *configpb.Route { return routeSpecs.Get().(*configpb.Route) }

// RecycleRouteSpec empties a route spec and keeps it for NewRouteSpec. Its
// caller holds the only reference to it: whoever read it from the store and
// was handed it (as the compiler is the routes a load hands over) is done
// with it.
func RecycleRouteSpec(spec *configpb.Route) {
	spec.Reset()
	routeSpecs.Put(spec)
}

// NewObject returns an empty object of kind k, or nil for an unknown kind.
func NewObject(k Kind) Object {
	switch k {
	case KindNamespace:
		return &Namespace{}
	case KindPolicy:
		return &Policy{}
	case KindRoute:
		return &Route{Spec: NewRouteSpec()}
	case KindSettings:
		return &Settings{Spec: &configpb.Settings{}}
	case KindKeyPair:
		return &KeyPair{}
	case KindServiceAccount:
		return &ServiceAccount{}
	case KindNamespacePermission:
		return &NamespacePermission{}
	case KindCluster:
		return &Cluster{}
	case KindDataSource:
		return &DataSource{}
	}
	return nil
}
