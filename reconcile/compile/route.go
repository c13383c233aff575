package compile

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unique"

	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"

	"github.com/pomerium-console/pomerium-console/store"
)

// routeEntry is a route on its way through compilation, and what the
// incremental compiler keeps of it between compilations. Between them it
// keeps the spec encoded: a decoded route spec is several times larger, and
// at 100,000 routes that is most of the console's memory.
//
// The fields a resync reads of every route (LookRoute: its digest, whether
// it has a record, its problem, version and namespace) come first, in the
// entry's first 64 bytes: at a million routes each entry read is a cache
// miss, one instead of three when they share a cache line. (Its id, next,
// is read only while the route's record waits to be encoded.)
type routeEntry struct {
	// hasRecord says the route is valid: it has a target record. digest
	// identifies that record's data once it is emitted (see
	// Compiler.Digest). The data itself is not kept but encoded again when
	// asked for: at a million routes the records would be most of the
	// memory.
	digest    Digest
	hasRecord bool
	// borrowed says route is the caller's, not to be changed; pinned keeps
	// it for good when its spec cannot be encoded.
	borrowed, pinned bool
	// checkErr is the route's own problem; err adds a conflict with other
	// routes to it.
	checkErr, err *fieldError
	meta          routeMeta
	spec          []byte
	// route is the decoded route while it is compiled.
	route *store.Route
	// matchKey identifies what the route claims; noClaim when from is
	// invalid.
	matchKey claimKey
	// What the route's spec says on its own, kept from its last full
	// check, so that a change of what it references checks it again
	// without decoding the spec: its problems (early comes before its
	// placement's), and what it references.
	// refs is zero until the route's first full check.
	early, fromErr, specErr *fieldError
	refs                    unique.Handle[routeRefs]
	// policies are the route's own policies followed by the enforced ones,
	// joined (joinIDs) and interned: the routes of a namespace mostly share
	// one list.
	policies unique.Handle[string]
	// Key pairs whose certificate or key is copied into the record.
	customCA, client, downstreamCA *keyPairEntry
}

func newRouteEntry(r *store.Route, owned bool) *routeEntry {
	e := &routeEntry{meta: metaOf(r.ObjectMeta), route: r, borrowed: !owned}
	if r.Spec == nil {
		return e
	}
	if spec := r.SpecEncoding; spec != nil {
		// The store's encoding, written as the one below.
		e.spec = spec
		return e
	}
	// Deterministic, as the record is encoded: emitRoute copies the
	// spec's fields into the record as they are written here.
	spec, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.Spec)
	if err != nil {
		e.pinned = true // compiling it will report why
		return e
	}
	e.spec = spec
	return e
}

// routeMeta is what a route entry keeps of the route's metadata: what
// compiling it reads, in 80 bytes instead of store.ObjectMeta's 136 (a
// million routes hold a million). Its origin and origin ref are not kept:
// no record carries them. Its times are kept as a record's timestamps carry them:
// seconds and nanoseconds since 1970, without a location.
type routeMeta struct {
	// Version and NamespaceID first: a resync reads them (see routeEntry).
	Version                   int64
	NamespaceID, ID, Name     string
	createdSec, modifiedSec   int64
	createdNano, modifiedNano int32
}

func metaOf(m store.ObjectMeta) routeMeta {
	return routeMeta{ID: m.ID, NamespaceID: m.NamespaceID, Name: m.Name, Version: m.Version,
		createdSec: m.CreatedAt.Unix(), createdNano: int32(m.CreatedAt.Nanosecond()),
		modifiedSec: m.ModifiedAt.Unix(), modifiedNano: int32(m.ModifiedAt.Nanosecond())}
}

// objectMeta returns the metadata with its times in UTC (the zero time
// stays zero).
func (m *routeMeta) objectMeta() store.ObjectMeta {
	return store.ObjectMeta{ID: m.ID, NamespaceID: m.NamespaceID, Name: m.Name, Version: m.Version,
		CreatedAt:  time.Unix(m.createdSec, int64(m.createdNano)).UTC(),
		ModifiedAt: time.Unix(m.modifiedSec, int64(m.modifiedNano)).UTC()}
}

// decoded returns the route with its spec, decoding it when needed.
func (e *routeEntry) decoded() *store.Route {
	if e.route != nil {
		return e.route
	}
	r := &store.Route{ObjectMeta: e.meta.objectMeta()}
	if e.spec != nil {
		r.Spec = store.NewRouteSpec()
		if err := proto.Unmarshal(e.spec, r.Spec); err != nil {
			panic(fmt.Sprintf("route %s: spec encoded by the compiler does not decode: %v", e.meta.ID, err))
		}
	}
	e.route = r
	return r
}

// release drops the decoded route once compiling it is done, and hands its
// spec back for the next route read to decode into, unless the route is
// the caller's: nothing the entry keeps points into the spec (what it
// keeps of it are strings and interned values).
func (e *routeEntry) release() {
	if e.pinned {
		return
	}
	if e.route != nil && !e.borrowed && e.route.Spec != nil {
		store.RecycleRouteSpec(e.route.Spec)
	}
	e.route, e.borrowed = nil, false
}

func (e *routeEntry) status() Status {
	if e.err != nil {
		return e.err.status()
	}
	return validStatus()
}

// claimKey identifies the requests a route claims: its cluster (a string
// the cluster's routes share), and the digest of its from, prefix, path and
// regex, which a route keeps in far less memory than the four themselves.
// Digests collide no more than record digests do (see Digest).
type claimKey struct {
	cluster  string
	requests Digest
}

// noClaim is the claim of a route whose from is invalid: none.
var noClaim claimKey

// routeRefs are the references of a route spec, interned: most routes
// share theirs with others.
type routeRefs struct {
	// policies are spec.policy_ids, each after a NUL.
	policies, sshPolicy                     string
	customCA, client, downstreamCA, saToken keyPairRefID
}

// keyPairRefID is an optional key pair reference.
type keyPairRefID struct {
	id  string
	set bool
}

func optionalID(id *string) keyPairRefID {
	if id == nil {
		return keyPairRefID{}
	}
	return keyPairRefID{id: *id, set: true}
}

func refsOf(s *configpb.Route) routeRefs {
	return routeRefs{
		policies:     joinIDs(s.PolicyIds),
		sshPolicy:    s.GetUpstreamTunnel().GetSshPolicyId(),
		customCA:     optionalID(s.TlsCustomCaKeyPairId),
		client:       optionalID(s.TlsClientKeyPairId),
		downstreamCA: optionalID(s.TlsDownstreamClientCaKeyPairId),
		saToken:      optionalID(s.KubernetesServiceAccountTokenKeyPairId),
	}
}

func (r routeRefs) policyIDs() []string { return splitIDs(r.policies) }

// joinIDs writes ids each after a NUL, so that an empty id is told from
// none; splitIDs reads them back.
func joinIDs(ids []string) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString("\x00" + id)
	}
	return b.String()
}

func splitIDs(joined string) []string {
	if joined == "" {
		return nil
	}
	return strings.Split(joined[1:], "\x00")
}

// check validates the route against c, leaving conflicts for settle.
func (c *compiler) check(e *routeEntry) {
	e.reset()
	e.decoded()
	e.checkErr = c.checkRoute(e)
	// Decoded again if it is emitted: between now and then every other
	// changed route is checked, and holding all of them decoded at once
	// would double the memory a full compilation needs.
	e.release()
}

// recheck validates again a route whose spec has not changed since its last
// check, against what it references: without decoding the spec.
func (c *compiler) recheck(e *routeEntry) {
	if e.refs == (unique.Handle[routeRefs]{}) {
		c.check(e)
		return
	}
	matchKey := e.matchKey
	e.reset()
	if matchKey != noClaim {
		// Its cluster may have changed.
		e.matchKey = claimKey{cluster: c.clusterOf(e.meta.NamespaceID), requests: matchKey.requests}
	}
	e.checkErr = c.checkRefs(e)
}

// reset forgets the outcome of the route's last check.
func (e *routeEntry) reset() {
	e.matchKey, e.policies = noClaim, unique.Handle[string]{}
	e.customCA, e.client, e.downstreamCA = nil, nil, nil
	e.hasRecord = false
}

// settle decides the route's final outcome from its own check and the
// routes that claim the same requests (group, ordered by id). It reports
// whether the route's record is to be emitted: valid, and not settled valid
// already since its check. Emitting is left to when the record is asked for (see
// Compiler.Digest), so that a change recompiling many routes holds the
// loop only for their checks.
func (c *compiler) settle(e *routeEntry, group []*routeEntry) (emit bool) {
	e.err = e.checkErr
	if e.err == nil && len(group) > 1 {
		e.err = conflictError(e, group)
	}
	if e.err == nil {
		if f := c.recordFields(e); e.pinned || !f.encodes() {
			// Its spec did not encode, or what compiling adds to it
			// does not: encoding its record says why.
			_, e.err = c.emitRouteDecoded(e)
		}
	}
	if e.err != nil {
		e.hasRecord = false
		return false
	}
	if e.hasRecord {
		return false
	}
	e.hasRecord = true
	return true
}

// checkRoute checks the decoded route: what its spec says on its own, kept
// for rechecks, then what it references.
func (c *compiler) checkRoute(e *routeEntry) *fieldError {
	r := e.route
	e.early, e.fromErr, e.specErr = nil, nil, nil
	e.refs = unique.Make(routeRefs{})
	if r.Spec == nil {
		e.early = fieldErrorf("spec", "is required")
		return e.early
	}
	key, fromErr := checkFrom(r.Spec.From)
	e.fromErr = fromErr
	if fromErr == nil {
		// Routes of different clusters never claim the same requests:
		// each cluster is a Pomerium of its own.
		e.matchKey = claimKey{cluster: c.clusterOf(r.NamespaceID),
			requests: DigestOf([]byte(key + "\x00" + r.Spec.Prefix + "\x00" + r.Spec.Path + "\x00" + r.Spec.Regex))}
	}
	e.specErr = checkRouteSpec(r.Spec)
	e.refs = unique.Make(refsOf(r.Spec))
	return c.checkRefs(e)
}

// checkRefs reports the route's problem: what its last full check found in
// its spec, its placement, and what it references.
func (c *compiler) checkRefs(e *routeEntry) *fieldError {
	if e.early != nil {
		return e.early
	}
	node, err := c.placement(e.meta.NamespaceID)
	switch {
	case err != nil:
		return err
	case e.fromErr != nil:
		return e.fromErr
	case e.specErr != nil:
		return e.specErr
	}
	key := resolvedKey{refs: e.refs, namespace: e.meta.NamespaceID}
	if r, ok := c.resolved[key]; ok {
		e.customCA, e.client, e.downstreamCA, e.policies = r.customCA, r.client, r.downstreamCA, r.policies
		return r.err
	}
	refs := e.refs.Value()
	err = c.resolveRouteKeyPairs(e, refs, node.cluster)
	if err == nil {
		err = c.resolveRoutePolicies(e, refs, node)
	}
	if c.resolved == nil {
		c.resolved = map[resolvedKey]resolvedRefs{}
	}
	c.resolved[key] = resolvedRefs{err: err, customCA: e.customCA, client: e.client, downstreamCA: e.downstreamCA, policies: e.policies}
	return err
}

// resolvedKey is what resolving a route's references depends on, besides
// the compiled dependencies: the routes of a namespace mostly reference
// the same few policies and key pairs.
type resolvedKey struct {
	refs      unique.Handle[routeRefs]
	namespace string
}

// resolvedRefs is what resolving a route's references found.
type resolvedRefs struct {
	err                            *fieldError
	customCA, client, downstreamCA *keyPairEntry
	policies                       unique.Handle[string]
}

// resolveRouteKeyPairs checks the key pairs a route references. Pomerium
// v0.33.0 copies a referenced key pair's PEM into tls_custom_ca,
// tls_client_cert/key and tls_downstream_client_ca, but then validates those
// fields as base64 and rejects the whole configuration; so the console
// resolves these three references itself and writes base64 values.
func (c *compiler) resolveRouteKeyPairs(e *routeEntry, spec routeRefs, cluster string) *fieldError {
	refs := []struct {
		field   string
		id      keyPairRefID
		needKey bool
		dst     **keyPairEntry
	}{
		{"spec.tls_custom_ca_key_pair_id", spec.customCA, false, &e.customCA},
		{"spec.tls_client_key_pair_id", spec.client, true, &e.client},
		{"spec.tls_downstream_client_ca_key_pair_id", spec.downstreamCA, false, &e.downstreamCA},
		// Pomerium uses the key pair's key bytes as the token, read from
		// the KeyPair record of its own databroker.
		{"spec.kubernetes_service_account_token_key_pair_id", spec.saToken, true, nil},
	}
	for _, ref := range refs {
		if !ref.id.set {
			continue
		}
		entry, err := c.keyPairRef(ref.field, ref.id.id, ref.needKey)
		if err != nil {
			return err
		}
		name := describe(entry.kp.Name, ref.id.id)
		if ref.dst == nil {
			if owner := c.clusterOf(entry.kp.NamespaceID); owner != cluster {
				return fieldErrorf(ref.field, "key pair %s belongs to cluster %s, not to the route's cluster %s", name, owner, cluster)
			}
			continue
		}
		// The other references are copied into the route's record.
		if err := c.reachable(ref.field, "key pair", entry.kp.NamespaceID, name, cluster); err != nil {
			return err
		}
		*ref.dst = entry
	}
	return nil
}

// resolveRoutePolicies checks every policy the route will reference and
// computes its policy_ids: its own policies in the order given, then the
// enforced policies of its namespace and every namespace above it.
func (c *compiler) resolveRoutePolicies(e *routeEntry, spec routeRefs, node *namespaceNode) *fieldError {
	own := spec.policyIDs()
	ids := make([]string, 0, len(own)+4)
	for i, id := range own {
		p, ok := c.policies[id]
		if !ok {
			return fieldErrorf(indexed("spec.policy_ids", i), "policy %s does not exist", id)
		}
		if reason := p.invalidReason(); reason != "" {
			return fieldErrorf(indexed("spec.policy_ids", i), "%s", reason)
		}
		if err := c.reachable(indexed("spec.policy_ids", i), "policy", p.policy.NamespaceID, describe(p.policy.Name, id), node.cluster); err != nil {
			return err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if id := spec.sshPolicy; id != "" {
		p, ok := c.policies[id]
		if !ok {
			return fieldErrorf("spec.upstream_tunnel.ssh_policy_id", "policy %s does not exist", id)
		}
		if reason := p.invalidReason(); reason != "" {
			return fieldErrorf("spec.upstream_tunnel.ssh_policy_id", "%s", reason)
		}
		if err := c.reachable("spec.upstream_tunnel.ssh_policy_id", "policy", p.policy.NamespaceID, describe(p.policy.Name, id), node.cluster); err != nil {
			return err
		}
	}
	ownCount := len(ids)
	for _, p := range c.enforcedFor(node) {
		if reason := p.invalidReason(); reason != "" {
			return fieldErrorf("namespace_id", "enforced %s", reason)
		}
		if !slices.Contains(ids[:ownCount], p.policy.ID) {
			ids = append(ids, p.policy.ID)
		}
	}
	e.policies = unique.Make(joinIDs(ids))
	return nil
}

// policyIDs are the route's resolved policy_ids.
func (e *routeEntry) policyIDs() []string { return splitIDs(e.policies.Value()) }

// emitRoute writes the route record: the spec as stored, with the identity
// fields, the resolved policy_ids and the resolved key pairs. The
// enforced_policies and assigned_policies lists are left empty: Pomerium
// ignores them, and filling them would tie every route record to the names
// and modification times of its policies, so that one policy edit rewrote
// every route it applies to.
//
// It reads the spec the entry keeps and leaves the entry as it is, so
// that readers may call it at once. Emitting again gives the same bytes as
// long as the route is not compiled again: every change of a dependency
// that shows in its record compiles it again.
//
// The record is written from the spec's encoding without decoding it
// (appendRouteRecord), which gives the bytes emitRouteDecoded gives: a
// cold start of a million routes writes a million records, and a change of
// a team's policy thousands a second.
func (c *compiler) emitRoute(e *routeEntry) ([]byte, *fieldError) {
	if e.pinned {
		return c.emitRouteDecoded(e)
	}
	f := c.recordFields(e)
	if e.customCA != nil {
		f.customCA = new(e.customCA.certificateBase64())
	}
	if e.client != nil {
		f.clientCert, f.clientKey = new(e.client.certificateBase64()), new(e.client.keyBase64())
	}
	if e.downstreamCA != nil {
		f.downstreamCA = new(e.downstreamCA.certificateBase64())
	}
	// Settling the route found its strings UTF-8 (the key pairs' values
	// are base64).
	if data, ok := appendRouteRecord(make([]byte, 0, len(e.spec)+f.size()), e.spec, &f); ok {
		return data, nil
	}
	return c.emitRouteDecoded(e)
}

// recordFields are the fields compiling writes into the route's record,
// but for its key pairs' values.
func (c *compiler) recordFields(e *routeEntry) routeRecordFields {
	meta := e.meta.objectMeta()
	return routeRecordFields{name: meta.Name, id: meta.ID, namespaceID: meta.NamespaceID,
		namespaceName: c.namespaceName(meta.NamespaceID), policies: e.policies.Value(),
		created: meta.CreatedAt, modified: meta.ModifiedAt}
}

// emitRouteDecoded writes the route record as emitRoute does, by decoding
// the spec, setting the record's fields and encoding it.
func (c *compiler) emitRouteDecoded(e *routeEntry) ([]byte, *fieldError) {
	meta := e.meta.objectMeta()
	var msg *configpb.Route
	if e.pinned {
		msg = proto.CloneOf(e.route.Spec)
	} else {
		msg = store.NewRouteSpec()
		defer store.RecycleRouteSpec(msg) // holds on to nothing of this route
		if err := proto.Unmarshal(e.spec, msg); err != nil {
			panic(fmt.Sprintf("route %s: spec encoded by the compiler does not decode: %v", e.meta.ID, err))
		}
	}
	msg.Id = &meta.ID
	msg.NamespaceId = &meta.NamespaceID
	msg.OriginatorId = new(OriginatorID)
	msg.Name = &meta.Name
	msg.CreatedAt = timestamp(meta.CreatedAt)
	msg.ModifiedAt = timestamp(meta.ModifiedAt)
	msg.NamespaceName = c.namespaceName(meta.NamespaceID)
	msg.PolicyIds = e.policyIDs()
	msg.EnforcedPolicies, msg.AssignedPolicies = nil, nil
	if e.customCA != nil {
		msg.TlsCustomCa, msg.TlsCustomCaKeyPairId = e.customCA.certificateBase64(), nil
	}
	if e.client != nil {
		msg.TlsClientCert, msg.TlsClientKey = e.client.certificateBase64(), e.client.keyBase64()
		msg.TlsClientKeyPairId = nil
	}
	if e.downstreamCA != nil {
		msg.TlsDownstreamClientCa, msg.TlsDownstreamClientCaKeyPairId = e.downstreamCA.certificateBase64(), nil
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return nil, fieldErrorf("spec", "cannot be encoded: %v", err)
	}
	return data, nil
}

// CheckRoute checks what can be checked of a route spec on its own, without
// the rest of desired state (namespaces, policies, key pairs, other
// routes): its from URL and every field rule compilation applies. Writers
// use it to refuse a route compilation would reject anyway; the field of an
// invalid status is a path inside the spec ("spec.from").
func CheckRoute(spec *configpb.Route) Status {
	if spec == nil {
		return fieldErrorf("spec", "is required").status()
	}
	if _, err := checkFrom(spec.From); err != nil {
		return err.status()
	}
	if err := checkRouteSpec(spec); err != nil {
		return err.status()
	}
	return validStatus()
}
