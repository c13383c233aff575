package store

import (
	"context"
	"time"
)

// Store is desired state with its history. Every method is safe for
// concurrent use. Writes are atomic: a call to Apply either makes all of its
// changes, with their activity log entries, or none. Consumers take the
// smaller interfaces it is made of, as far as they need: the use cases
// Desired, History, StatusReader and IdentityStore; the reconciler
// Snapshots, Notifier and StatusSink; the backup and restore commands
// Archiver.
type Store interface {
	Desired
	Requests
	Snapshots
	History
	Notifier
	StatusStore
	IdentityStore
	Archiver

	// Close releases the store's resources. Subscriptions end.
	Close() error
}

// Desired reads and writes desired state object by object.
type Desired interface {
	// Get returns the live object of kind k with id, or an error with
	// CodeNotFound. Settings always exist: before the first write Get returns
	// empty settings at version 0.
	Get(ctx context.Context, k Kind, id string, opts ...GetOption) (Object, error)
	// List returns a page of live objects of kind k and the count of the
	// objects matching the query (up to its CountUpTo, when it has one).
	List(ctx context.Context, k Kind, q ListQuery) (*ListResult, error)
	// Apply performs the operations in order in one transaction, on behalf
	// of actor, and returns the objects written (nil for deletes) in the
	// order of ops. On error nothing is written.
	Apply(ctx context.Context, actor Actor, ops ...Op) ([]Object, error)
	// ApplyStream is Apply for more operations than fit in memory at once:
	// it runs write in one transaction, on behalf of actor, and every op
	// write hands to apply is performed there and then, in order, and
	// answers the object written (nil for a delete). Nothing is written
	// when write returns an error; an error of apply's is the error Apply
	// would return, and write should return it. Other writers wait until
	// write returns.
	ApplyStream(ctx context.Context, actor Actor, write func(apply func(Op) (Object, error)) error) error
	// ReferencingRoutes returns the ids of the live routes whose policy_ids
	// name the policy.
	ReferencingRoutes(ctx context.Context, policyID string) ([]string, error)
	// ReferencingRouteNames returns the same routes, id to name, reading
	// nothing else of them.
	ReferencingRouteNames(ctx context.Context, policyID string) (map[string]string, error)
	// ReferencingRoutesPage returns a page of the same routes' ids, in the
	// same order, and how many there are (see PageQuery).
	ReferencingRoutesPage(ctx context.Context, policyID string, q PageQuery) (*IDPage, error)
}

// PageQuery is a page of a list that may be too long to count whole.
type PageQuery struct {
	Offset int
	// Limit caps the page; it must be positive.
	Limit int
	// CountUpTo, when positive, bounds the count: it stops at CountUpTo
	// items or at the end of the page, whichever is further, and the page
	// says whether there were more. Zero counts them all.
	CountUpTo int
}

// IDPage is a page of ids, and how many ids the list holds.
type IDPage struct {
	IDs        []string
	TotalCount int
	// More says that the list holds more than TotalCount ids, where the
	// query's CountUpTo stopped the count.
	More bool
}

// Snapshots reads desired state whole, or what changed of it: what a
// reader that keeps a copy (the reconciler) needs.
type Snapshots interface {
	// Changes returns the objects (and tombstones of deleted objects) whose
	// version is greater than after, oldest first, at most limit of them
	// (limit <= 0: all), and the store's version at the time of the read.
	Changes(ctx context.Context, after int64, limit int) (*ChangeSet, error)
	// Load reads every live object in one consistent snapshot. With
	// WithSecrets, key pairs carry their private keys.
	Load(ctx context.Context, opts ...GetOption) (*State, error)
	// LoadEach reads what Load reads, handing each object to fn as it is
	// read and returning the snapshot's version: every object but the
	// routes first, then the routes, so that a reader compiling them need
	// not hold them all at once. fn's error ends the read. With
	// WithEncodedSpecs, routes come with their spec's encoding.
	LoadEach(ctx context.Context, fn func(Object) error, opts ...GetOption) (version int64, err error)
	// Index lists the kind, id and version of every live object in one
	// snapshot, without their data: what a reader holding a copy of the
	// state needs to find what its copy lacks, cheaper than Load.
	Index(ctx context.Context) (*Index, error)
	// IndexSums sums what Index lists per kind, in one snapshot: how many
	// live objects there are and the sum of their versions. A reader
	// whose copy, at the snapshot's version, has the same sums missed no
	// write unless it missed two that cancel out (see IndexSum); it is
	// far cheaper than Index. In the same snapshot it lists the objects
	// written after version after (IndexSums.Written), limit at most: a
	// reader whose copy is at a version between after and the snapshot's
	// sets those aside on both sides and compares the sums of the rest,
	// without waiting for its copy to catch up with writes that keep
	// coming.
	IndexSums(ctx context.Context, after int64, limit int) (*IndexSums, error)
	// Version returns the version of the last committed write.
	Version(ctx context.Context) (int64, error)
	// KindsVersion returns the highest version of the objects of kinds,
	// deleted ones included, and how many there are: what changes whenever
	// one of them is written or deleted, for a reader that keeps a copy of
	// those kinds only.
	KindsVersion(ctx context.Context, kinds ...Kind) (version int64, count int, err error)
}

// History reads the activity log.
type History interface {
	// Activity returns a page of the activity log.
	Activity(ctx context.Context, q ActivityQuery) (*ActivityPage, error)
	// ActivityEntry returns one entry and the ids of the entries before and
	// after it for the same entity (0 when there is none).
	ActivityEntry(ctx context.Context, id int64) (entry *ActivityEntry, previous, next int64, err error)
	// Note records in the activity log, on behalf of actor, an action on
	// something the store does not hold: a session signed out or a device
	// approved in a cluster's databroker. It changes no object and no
	// version.
	Note(ctx context.Context, actor Actor, n Note) error
	// VerifyActivity hands v, in one snapshot, the chain's head, its
	// entries from v's position on in chain order, and the first entry
	// outside the chain, and returns v's verdict. Its error is the read's;
	// a broken chain is a result.
	VerifyActivity(ctx context.Context, v *ChainVerifier) (*ChainResult, error)
}

// Note is an entry of the activity log about an entity of a databroker.
type Note struct {
	Action     Action
	EntityType Kind
	EntityID   string
	EntityName string
	// NamespaceID is the namespace of the cluster whose databroker holds
	// the entity: who may read that namespace's log sees the entry.
	NamespaceID string
	// Snapshot describes the entity as indented JSON, or is empty.
	Snapshot string
}

// Notifier wakes readers when desired state changes.
type Notifier interface {
	// Subscribe returns a feed of change notifications. Notifications only
	// say that something changed; a reader calls Changes or Load to learn
	// what. The subscription ends when ctx ends or Close is called.
	Subscribe(ctx context.Context) *Subscription
}

// Actor is who makes a change: recorded in the activity log.
type Actor struct {
	// Subject identifies the caller: a user id or email, "service_account:<id>",
	// "kubernetes" or "import".
	Subject string
	// Origin is the surface the change came through; written objects take it.
	Origin Origin
}

// GetOption changes what Get returns.
type GetOption func(*GetOptions)

// GetOptions are the options of Get.
type GetOptions struct {
	// Secrets asks for secrets in clear (a key pair's private key, a
	// cluster's shared secret, a data source's headers).
	Secrets bool
	// EncodedSpecs asks LoadEach to keep, with each route whose spec has
	// no secret, the spec's encoding (Route.SpecEncoding).
	EncodedSpecs bool
}

// WithSecrets makes Get return secrets in clear.
func WithSecrets() GetOption { return func(o *GetOptions) { o.Secrets = true } }

// WithEncodedSpecs makes LoadEach hand routes with the encoding of their
// spec, for a reader that would encode the spec itself.
func WithEncodedSpecs() GetOption { return func(o *GetOptions) { o.EncodedSpecs = true } }

// Op is one write of an Apply: a *PutOp or a *DeleteOp.
type Op interface{ op() }

// PutOp creates or updates an object. An object with an empty id, or with an
// id the store does not hold, is created.
type PutOp struct {
	Object Object
	// ExpectedVersion, when non-zero, must equal the stored object's version
	// or the write fails with CodeConflict.
	ExpectedVersion int64
	// CreateOnly makes the write fail with CodeAlreadyExists when the id is
	// already taken by a live object.
	CreateOnly bool
}

// DeleteOp deletes an object.
type DeleteOp struct {
	Kind            Kind
	ID              string
	ExpectedVersion int64
	// Cascade deletes a namespace together with everything in it and below it.
	// Without it, deleting a namespace that is not empty fails.
	Cascade bool
	// DetachFromRoutes removes a policy from the routes that reference it.
	// Without it, deleting a policy that routes use fails.
	DetachFromRoutes bool
}

func (*PutOp) op()    {}
func (*DeleteOp) op() {}

// Put is shorthand for an Apply of one PutOp.
func Put[T Object](ctx context.Context, s Desired, actor Actor, obj T, expectedVersion int64) (T, error) {
	objs, err := s.Apply(ctx, actor, &PutOp{Object: obj, ExpectedVersion: expectedVersion})
	if err != nil {
		var zero T
		return zero, err
	}
	return objs[0].(T), nil
}

// Get is a typed Store.Get.
func Get[T Object](ctx context.Context, s Desired, id string, opts ...GetOption) (T, error) {
	var zero T
	obj, err := s.Get(ctx, zero.Kind(), id, opts...)
	if err != nil {
		return zero, err
	}
	return obj.(T), nil
}

// Delete is shorthand for an Apply of one DeleteOp.
func Delete(ctx context.Context, s Desired, actor Actor, op DeleteOp) error {
	_, err := s.Apply(ctx, actor, &op)
	return err
}

// ListQuery selects and orders objects of one kind.
type ListQuery struct {
	// NamespaceID restricts the list to one namespace (for namespaces: the
	// children of one parent). Empty: every namespace.
	NamespaceID string
	// Recursive widens NamespaceID to its whole subtree.
	Recursive bool
	// IDs restricts the list to these ids.
	IDs []string
	// Name, when set, keeps the objects with exactly that name.
	Name string
	// Names restricts the list to objects with one of these names.
	Names []string
	// Query is a case-insensitive substring matched against the object's
	// name and, for routes, its from and to URLs.
	Query string
	// OrderBy is one of name, created_at, modified_at, version, optionally
	// prefixed with "-" for descending order. Empty: name.
	OrderBy string
	Offset  int
	// Limit caps the page; <= 0 means no limit.
	Limit int
	// CountUpTo, when positive with a positive Limit, bounds the count of
	// a search: it stops at CountUpTo objects or at the end of the page,
	// whichever is further, and the result says whether there were more.
	// A search that most of a million objects match is counted by reading
	// each of them; a list without a search is counted exactly, whatever
	// CountUpTo says. Zero counts every match.
	CountUpTo int
}

// ListResult is a page of objects.
type ListResult struct {
	Objects []Object
	// TotalCount counts every object matching the query, ignoring offset
	// and limit, or as many as the query's CountUpTo let it count.
	TotalCount int
	// More says that more objects match than TotalCount, where the
	// query's CountUpTo stopped the count.
	More bool
}

// Change is one entry of a ChangeSet: a live object or the tombstone of a
// deleted one.
type Change struct {
	Kind    Kind
	ID      string
	Version int64
	// Object is nil for a deleted object.
	Object Object
}

// Deleted reports whether the change is a deletion.
func (c Change) Deleted() bool { return c.Object == nil }

// Index is the answer to Index.
type Index struct {
	// Version is the store version of the snapshot.
	Version int64
	Entries []IndexEntry
}

// IndexSums is an Index summed per kind.
type IndexSums struct {
	// Version is the store version of the snapshot.
	Version int64
	// Kinds holds the sums of each kind with live objects.
	Kinds map[Kind]IndexSum
	// After is the version the written objects were listed after.
	After int64
	// Written lists the objects written after After through Version, in
	// version order, each as the snapshot holds it: at its last version,
	// deleted or live. When more objects were written than the limit,
	// Written is nil and WrittenOver is true.
	Written     []WrittenEntry
	WrittenOver bool
}

// WrittenEntry names an object written after IndexSums.After, at the
// version of its last write: a live object's version, or its deletion's.
type WrittenEntry struct {
	IndexEntry
	Deleted bool
}

// IndexSum is the number of live objects of a kind and the sum of their
// versions. Versions only grow, so a copy that missed an update, or the
// creation of an object written after everything it holds, has a lower
// sum, and one that missed a deletion or a creation alone has another
// count. What the sums cannot tell is a missed creation and a missed
// deletion of objects whose versions sum alike.
type IndexSum struct {
	Count    int64
	Versions int64
}

// IndexEntry names one live object at its version.
type IndexEntry struct {
	Kind    Kind
	ID      string
	Version int64
}

// ChangeSet is the answer to Changes.
type ChangeSet struct {
	Changes []Change
	// StoreVersion is the version of the store when it was read.
	StoreVersion int64
}

// State is every live object, read in one snapshot.
type State struct {
	Version    int64
	Namespaces []*Namespace
	Policies   []*Policy
	Routes     []*Route
	// Settings are the default cluster's; ClusterSettings every other
	// cluster's.
	Settings        *Settings
	ClusterSettings []*Settings
	Clusters        []*Cluster
	DataSources     []*DataSource
	KeyPairs        []*KeyPair
	ServiceAccounts []*ServiceAccount
	Permissions     []*NamespacePermission
}

// Action is what an activity log entry records.
type Action string

// The actions of the activity log.
const (
	ActionSet    Action = "set"
	ActionDelete Action = "delete"
	// ActionSignOut deletes the sessions of a databroker.
	ActionSignOut Action = "sign_out"
	// ActionImpersonate makes a session act as another one, or stops it.
	ActionImpersonate Action = "impersonate"
	// ActionApprove approves a device.
	ActionApprove Action = "approve"
)

// Actions lists every action of the activity log.
var Actions = []Action{ActionSet, ActionDelete, ActionSignOut, ActionImpersonate, ActionApprove}

// ActivityEntry records one change of one object.
type ActivityEntry struct {
	ID          int64
	Version     int64
	Time        time.Time
	Subject     string
	Origin      Origin
	Action      Action
	EntityType  Kind
	EntityID    string
	EntityName  string
	NamespaceID string
	// Snapshot is the object as written, as indented JSON with secrets left
	// out; empty for a delete.
	Snapshot string
	// Diff is a unified line diff from the previous snapshot to this one.
	Diff    string
	Added   int
	Removed int
	// Seq is the entry's position in the hash chain of the log, from 1 in
	// commit order without a gap; 0 for an entry outside the chain.
	// PrevHash is the hash of the entry before it (GenesisHash for the
	// first) and Hash the entry's own (see ChainHash).
	Seq            int64
	PrevHash, Hash []byte
}

// ActivityQuery selects activity log entries. Zero fields do not filter.
type ActivityQuery struct {
	NamespaceID string
	// Recursive includes the namespaces below NamespaceID.
	Recursive  bool
	EntityType Kind
	EntityID   string
	Subject    string
	Action     Action
	// Since and Until bound the entry time: Since <= t < Until.
	Since, Until time.Time
	// Query is a case-insensitive substring of the entity name or subject.
	Query string
	// Ascending returns the oldest first; the default is newest first.
	Ascending bool
	Offset    int
	// Limit caps the page; <= 0 means 100.
	Limit int
	// CountUpTo, when positive, bounds the count: it stops at CountUpTo
	// entries or at the end of the page, whichever is further, and the
	// page says whether there were more. Counting a million entries takes
	// far longer than reading a page of them; zero counts them all.
	CountUpTo int
}

// ActivityPage is a page of the activity log.
type ActivityPage struct {
	Entries    []*ActivityEntry
	TotalCount int
	// More says that more entries match than TotalCount, where the
	// query's CountUpTo stopped the count.
	More bool
}
