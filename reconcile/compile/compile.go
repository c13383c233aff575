package compile

import (
	"fmt"
	"time"

	"github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/store"
)

// OriginatorID marks the records the console owns: it is written into the
// originator_id of every message we emit, and only records carrying it may
// ever be deleted by the console.
const OriginatorID = "pomerium-console"

// The record types Pomerium v0.33.0 syncs its entity configuration from
// (internal/databroker/config_source.go: one syncer per type, with the type
// URL grpcutil.GetTypeURL gives for the message, i.e. the Any type URL).
const (
	RecordTypeRoute    = "type.googleapis.com/pomerium.config.Route"
	RecordTypePolicy   = "type.googleapis.com/pomerium.config.Policy"
	RecordTypeKeyPair  = "type.googleapis.com/pomerium.config.KeyPair"
	RecordTypeSettings = "type.googleapis.com/pomerium.config.Settings"
)

// RecordTypes lists the record types the console writes, in the order in
// which they are safe to write: referenced records before the records that
// reference them. Deletes are safe in the reverse order.
var RecordTypes = []string{RecordTypeKeyPair, RecordTypePolicy, RecordTypeSettings, RecordTypeRoute}

// Result of compiling one store.State.
type Result struct {
	// Records are the target databroker records, ordered so that writing
	// them in order is safe: KeyPair, Policy, Settings, then Route records
	// (within a type by id). Version and modified_at are left for the
	// databroker to set.
	Records []*databroker.Record
	// Status per desired object: every namespace, policy, route, key pair
	// and the settings object.
	Status map[ObjectKey]Status
}

// ObjectKey names one desired object.
type ObjectKey struct {
	Kind store.Kind
	ID   string
}

func (k ObjectKey) String() string { return string(k.Kind) + "/" + k.ID }

// Status says whether an object compiled into a record.
type Status struct {
	Valid bool
	// Reason says why the object is invalid.
	Reason string
	// Field names the offending field, e.g. "spec.from"; empty when the
	// problem is not about one field.
	Field string
}

func validStatus() Status { return Status{Valid: true} }

// fieldError is a validation failure of one field of one object.
type fieldError struct {
	field  string
	reason string
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.reason
	}
	return e.field + ": " + e.reason
}

func fieldErrorf(field, format string, args ...any) *fieldError {
	return &fieldError{field: field, reason: fmt.Sprintf(format, args...)}
}

func (e *fieldError) status() Status {
	return Status{Valid: false, Reason: e.reason, Field: e.field}
}

// Compile compiles the desired state into target records and statuses.
// Key pairs are compiled from st as given: a state read without secrets has
// no private keys, and a key pair whose stored key was not loaded is reported
// invalid rather than written without its key, so callers must load the
// state with secrets.
func Compile(st *store.State) *Result {
	in := NewCompiler()
	in.Reset(st)
	return in.Result()
}

// compiler holds the indexes one compilation builds and the records it emits.
type compiler struct {
	st     *store.State
	status map[ObjectKey]Status

	namespaces map[string]*namespaceNode
	keyPairs   map[string]*keyPairEntry
	policies   map[string]*policyEntry
	// enforced memoizes, per namespace id, the enforced policies that apply
	// to the routes of that namespace.
	enforced map[string][]*policyEntry

	// records are the records emitted, by object.
	records map[ObjectKey]*databroker.Record
	// validatePPL checks a policy's PPL; the incremental compiler memoizes it.
	validatePPL func(string) error

	// aboveClusters memoizes, per cluster, the namespaces above its own.
	aboveClusters map[string]map[string]bool
	// settingsKeyPairs lists, per key pair, the clusters whose settings
	// name it among their certificates.
	settingsKeyPairs map[string][]string
	// resolved memoizes, while routes are checked, what their references
	// resolve to (see checkRefs); it is dropped after each check of
	// routes, so that it holds an entry for each of a million routes at
	// most while they are checked, not for as long as the compilation
	// lasts.
	resolved map[resolvedKey]resolvedRefs
}

func newCompiler(st *store.State) *compiler {
	if st == nil {
		st = &store.State{}
	}
	return &compiler{
		st:          st,
		status:      make(map[ObjectKey]Status, len(st.Namespaces)+len(st.Policies)+len(st.Routes)+len(st.KeyPairs)+1),
		namespaces:  make(map[string]*namespaceNode, len(st.Namespaces)),
		keyPairs:    make(map[string]*keyPairEntry, len(st.KeyPairs)),
		policies:    make(map[string]*policyEntry, len(st.Policies)),
		enforced:    make(map[string][]*policyEntry, len(st.Namespaces)),
		records:     make(map[ObjectKey]*databroker.Record, len(st.Namespaces)+len(st.Policies)+len(st.KeyPairs)+1),
		validatePPL: ValidatePPL,

		aboveClusters:    map[string]map[string]bool{},
		settingsKeyPairs: map[string][]string{},
	}
}

// compileAllButRoutes compiles namespaces, key pairs, policies and settings:
// everything the routes of the state depend on.
func (c *compiler) compileAllButRoutes() {
	c.compileNamespaces()
	c.compileKeyPairs()
	c.compilePolicies()
	c.compileSettings()
}

func (c *compiler) emit(k store.Kind, rec *databroker.Record) {
	c.records[ObjectKey{Kind: k, ID: rec.Id}] = rec
}

func (c *compiler) setStatus(k store.Kind, id string, s Status) {
	c.status[ObjectKey{Kind: k, ID: id}] = s
}

// newRecord wraps msg in a record. The encoding is deterministic so that the
// same desired state always gives byte-identical Any values: the diff
// compares records, and map fields would otherwise be encoded in random
// order and look changed on every run.
func newRecord(recordType, id string, msg proto.Message) (*databroker.Record, error) {
	data := new(anypb.Any)
	if err := anypb.MarshalFrom(data, msg, proto.MarshalOptions{Deterministic: true}); err != nil {
		return nil, err
	}
	return &databroker.Record{Type: recordType, Id: id, Data: data}, nil
}

// timestamp converts a store time; the zero time stays unset rather than
// becoming the Unix epoch.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// optional returns a pointer to s, or nil for the empty string, for the
// proto3 optional fields Pomerium treats as unset when absent.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// describe names an object for messages about references to it.
func describe(name, id string) string {
	if name == "" {
		return id
	}
	return fmt.Sprintf("%q (%s)", name, id)
}

// indexed names one element of a repeated field, e.g. spec.to[2].
func indexed(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }
