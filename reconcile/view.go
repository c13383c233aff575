package reconcile

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// recordType is one type of record the console owns.
type recordType struct {
	Type string
	Kind store.Kind
	New  func() ownedMessage
}

// ownedMessage is what every record message of ours has: an originator.
type ownedMessage interface {
	proto.Message
	GetOriginatorId() string
}

// recordTypes lists our record types in write order: referenced records
// before the records that reference them. Deletes walk it backwards.
var recordTypes = []recordType{
	{compile.RecordTypeKeyPair, store.KindKeyPair, func() ownedMessage { return &configpb.KeyPair{} }},
	{compile.RecordTypePolicy, store.KindPolicy, func() ownedMessage { return &configpb.Policy{} }},
	{compile.RecordTypeSettings, store.KindSettings, func() ownedMessage { return &configpb.Settings{} }},
	{compile.RecordTypeRoute, store.KindRoute, func() ownedMessage { return &configpb.Route{} }},
}

func typeOfKind(k store.Kind) (recordType, bool) {
	for _, rt := range recordTypes {
		if rt.Kind == k {
			return rt, true
		}
	}
	return recordType{}, false
}

func typeByName(name string) (recordType, bool) {
	for _, rt := range recordTypes {
		if rt.Type == name {
			return rt, true
		}
	}
	return recordType{}, false
}

// entry is what the view keeps of one record: its version and the digest
// of its data in canonical (deterministic) encoding, which is all a diff
// needs.
type entry struct {
	Version uint64
	Digest  compile.Digest
}

// row is what the view keeps of one object: the record of it the
// databroker holds (rec, when inView), and the status last handed over to
// be written for it (status, when handed; see statusWriter). One map entry
// holds both: a resync at a million routes looked each route up in two
// maps, one cache miss more per route than in one.
type row struct {
	rec            entry
	status         writtenStatus
	inView, handed bool
}

// View is the reconciler's picture of the records it owns in the databroker.
// It is loaded once with SyncLatest and then kept current from the Sync
// streams, so that comparing desired state with the databroker costs no
// request: a full re-read of a large Postgres-backed databroker takes tens
// of seconds. It keeps the status handed over for each object too, beside
// the object's record or alone, for as long as the loop that loaded it
// leads.
type View struct {
	mu sync.Mutex
	// rows holds, by record type and id, the objects with a record in the
	// view or a status handed over (or both); inView counts, by type, the
	// rows with a record.
	rows     map[string]map[string]row
	inView   map[string]int
	versions map[string]databroker.Versions
	// drifted holds the objects whose records changed behind our back,
	// until the next pass takes them to compare again.
	drifted map[compile.ObjectKey]bool
	// changes counts the records added, replaced and removed.
	changes uint64
	// sending holds, by record type and id, the records of ours a Put
	// under way writes (see Sending).
	sending map[string]map[string]*pb.Record
}

// NewView returns an empty view.
func NewView() *View {
	v := &View{rows: map[string]map[string]row{}, inView: map[string]int{}, versions: map[string]databroker.Versions{}, drifted: map[compile.ObjectKey]bool{},
		sending: map[string]map[string]*pb.Record{}}
	for _, rt := range recordTypes {
		v.rows[rt.Type] = map[string]row{}
		v.sending[rt.Type] = map[string]*pb.Record{}
	}
	return v
}

// Reserve makes room for n records of recordType in a view that holds none
// of them yet.
func (v *View) Reserve(recordType string, n int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if rows, ok := v.rows[recordType]; ok && len(rows) == 0 && n > 0 {
		v.rows[recordType] = make(map[string]row, n)
	}
}

// canonical decodes a record's data and encodes it deterministically, and
// says whether the console owns it. Two encodings of equal messages can
// differ (map order, a backend that stores JSON); canonical ones cannot.
func canonical(rt recordType, data *anypb.Any) (canon []byte, ours bool, err error) {
	msg := rt.New()
	if data != nil {
		if err := proto.Unmarshal(data.GetValue(), msg); err != nil {
			return nil, false, fmt.Errorf("decode %s record: %w", rt.Type, err)
		}
	}
	canon, err = proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return nil, false, fmt.Errorf("encode %s record: %w", rt.Type, err)
	}
	return canon, msg.GetOriginatorId() == compile.OriginatorID, nil
}

// Observe applies one record seen in the databroker (from SyncLatest, Sync
// or a Put response) and reports whether it changed what the view holds: a
// change the view did not know of is drift. The echo of a write under way
// (see Sending), which a Sync stream often brings before the Put's
// response, is applied as that write and is not drift.
func (v *View) Observe(rec *pb.Record) (changed bool, err error) {
	if sent := v.echoOf(rec); sent != nil {
		_, err := v.observe(rec, sent)
		return false, err
	}
	return v.observe(rec, nil)
}

// Sending notes records of ours that a Put is about to write, until Sent:
// an echo of one of them with the same data is taken as written, without
// decoding it again.
func (v *View) Sending(recs []*pb.Record) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, rec := range recs {
		if byID, ok := v.sending[rec.GetType()]; ok && rec.GetDeletedAt() == nil {
			byID[rec.GetId()] = rec
		}
	}
}

// Sent forgets records noted by Sending, once their Put has answered.
func (v *View) Sent(recs []*pb.Record) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, rec := range recs {
		if byID, ok := v.sending[rec.GetType()]; ok && byID[rec.GetId()] == rec {
			delete(byID, rec.GetId())
		}
	}
}

// echoOf returns the record being sent (see Sending) whose data rec, a live
// record, carries, or nil.
func (v *View) echoOf(rec *pb.Record) *pb.Record {
	if rec.GetDeletedAt() != nil {
		return nil
	}
	v.mu.Lock()
	sent := v.sending[rec.GetType()][rec.GetId()]
	v.mu.Unlock()
	if sent == nil || sent.GetData().GetTypeUrl() != rec.GetData().GetTypeUrl() || !bytes.Equal(sent.GetData().GetValue(), rec.GetData().GetValue()) {
		return nil
	}
	return sent
}

// ObserveWritten applies a record returned by our own Put of sent, whose
// data is the canonical encoding compile made: the console owns it, so
// decoding it again would only cost time. The view keeps sent's id, which
// the compiled copy holds too, instead of a copy of its own.
func (v *View) ObserveWritten(rec, sent *pb.Record) (changed bool, err error) {
	return v.observe(rec, sent)
}

func (v *View) observe(rec, sent *pb.Record) (changed bool, err error) {
	rt, ok := typeByName(rec.GetType())
	if !ok {
		return false, nil
	}
	if v.holds(rt.Type, rec.GetId(), rec.GetVersion()) {
		return false, nil // an echo: skip decoding it
	}
	var canon []byte
	var ours bool
	switch {
	case rec.GetDeletedAt() != nil:
	case sent != nil:
		canon, ours = sent.GetData().GetValue(), true
	default:
		if canon, ours, err = canonical(rt, rec.GetData()); err != nil {
			return false, err
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	byID := v.rows[rt.Type]
	r := byID[rec.GetId()]
	had := r.inView
	if r.holds(rec.GetVersion()) {
		return false, nil // an echo of what the view already holds
	}
	if !ours {
		// Deleted, or taken over by another writer: either way it is not a
		// record of ours any more, and the diff will write it again if
		// desired state still wants it.
		if had {
			r.rec, r.inView = entry{}, false
			v.put(rt.Type, rec.GetId(), r)
			v.inView[rt.Type]--
			v.changes++
		}
		return had, nil
	}
	old := r.rec
	r.rec, r.inView = entry{Version: rec.GetVersion(), Digest: compile.DigestOf(canon)}, true
	id := rec.GetId()
	if sent != nil {
		// Assigning replaces the map's key too: a record written again
		// drops the copy the view held before.
		id = sent.GetId()
	}
	byID[id] = r
	if !had {
		v.inView[rt.Type]++
	}
	v.changes++
	return !had || old.Digest != r.rec.Digest, nil
}

// put keeps r as the row of a record type's id, or drops it when it holds
// neither a record nor a status; mu is held.
func (v *View) put(recordType, id string, r row) {
	if r.inView || r.handed {
		v.rows[recordType][id] = r
	} else {
		delete(v.rows[recordType], id)
	}
}

// holds reports whether the view holds a record at version or later.
func (v *View) holds(recordType, id string, version uint64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.rows[recordType][id].holds(version)
}

// Held returns what a Sync stream of a record type asks before it decodes
// a record (databroker.SyncHandler.Held): whether the view holds the
// record at that version or later. Observe would find so and skip it.
func (v *View) Held(recordType string) func(id []byte, version uint64) bool {
	return func(id []byte, version uint64) bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.rows[recordType][string(id)].holds(version)
	}
}

// holds reports whether the row holds a record at version or later.
func (r row) holds(version uint64) bool {
	return r.inView && version != 0 && version <= r.rec.Version
}

// MarkDrift notes that a record changed behind the console's back.
func (v *View) MarkDrift(rec *pb.Record) {
	rt, ok := typeByName(rec.GetType())
	if !ok {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.drifted[compile.ObjectKey{Kind: rt.Kind, ID: rec.GetId()}] = true
}

// TakeDrifted returns the objects whose records drifted since it was last
// called, and forgets them.
func (v *View) TakeDrifted() map[compile.ObjectKey]bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	d := v.drifted
	v.drifted = map[compile.ObjectKey]bool{}
	return d
}

// Keys returns the objects of every record the view holds.
func (v *View) Keys() []compile.ObjectKey {
	return v.keysOf(func(recordType) bool { return true })
}

// keysOf returns the objects of the records of the types that of accepts,
// walking indexSlice of the view's rows under each hold of the lock: a
// million routes under one hold took a tenth of a second, which the record
// of a write waited for. A record that came or went meanwhile may be
// missing or listed.
func (v *View) keysOf(of func(recordType) bool) []compile.ObjectKey {
	size := 0
	v.mu.Lock()
	for _, rt := range recordTypes {
		if of(rt) {
			size += v.inView[rt.Type]
		}
	}
	v.mu.Unlock()
	return v.collect(of, func(r row) bool { return r.inView }, size)
}

// rowKeys returns the objects with a record or a status handed over, listed
// as keysOf lists records.
func (v *View) rowKeys() []compile.ObjectKey {
	v.mu.Lock()
	size := 0
	for _, byID := range v.rows {
		size += len(byID)
	}
	v.mu.Unlock()
	return v.collect(func(recordType) bool { return true }, func(r row) bool { return r.inView || r.handed }, size)
}

// collect returns what eachPart hands over, in a list made for size.
func (v *View) collect(of func(recordType) bool, want func(row) bool, size int) []compile.ObjectKey {
	keys := make([]compile.ObjectKey, 0, size)
	_ = v.eachPart(of, want, func(part []compile.ObjectKey) error {
		keys = append(keys, part...)
		return nil
	})
	return keys
}

// eachPart hands each the objects of the rows that want accepts, of the
// types that of accepts, from indexSlice rows walked under each hold of
// the lock; each runs without it, and what it is given is reused for the
// next part. The first error of each ends the walk.
func (v *View) eachPart(of func(recordType) bool, want func(row) bool, each func([]compile.ObjectKey) error) error {
	// walk yields every row's object, and the zero key for those want
	// refuses: eachInParts counts what is yielded, and each hold is to
	// walk indexSlice rows, whatever they hold.
	walk := func(yield func(compile.ObjectKey) bool) {
		for _, rt := range recordTypes {
			if !of(rt) {
				continue
			}
			for id, r := range v.rows[rt.Type] {
				k := compile.ObjectKey{}
				if want(r) {
					k = compile.ObjectKey{Kind: rt.Kind, ID: id}
				}
				if !yield(k) {
					return
				}
			}
		}
	}
	return eachInParts(walk, indexSlice, func(part func()) error {
		v.mu.Lock()
		defer v.mu.Unlock()
		part()
		return nil
	}, func(part []compile.ObjectKey) error {
		return each(slices.DeleteFunc(part, func(k compile.ObjectKey) bool { return k == compile.ObjectKey{} }))
	})
}

// count returns how many records of a type the view holds, and how many
// changes it saw (see changes): two counts with no change between them
// are of the same records.
func (v *View) count(recordType string) (n int, changes uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.inView[recordType], v.changes
}

// SetVersions records where the view's stream for a record type left off.
func (v *View) SetVersions(recordType string, vs databroker.Versions) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.versions[recordType] = vs
}

// Advance notes that the stream for a record type has brought version.
func (v *View) Advance(recordType string, version uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	vs := v.versions[recordType]
	vs.RecordVersion = max(vs.RecordVersion, version)
	v.versions[recordType] = vs
}

// Versions returns where the stream for a record type left off.
func (v *View) Versions(recordType string) databroker.Versions {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.versions[recordType]
}

// Get returns the view's entry for a record.
func (v *View) Get(recordType, id string) (entry, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.rows[recordType][id]
	return r.rec, r.inView
}

// rowsOf reads the rows of ids, of a record type, into rows under one hold
// of the lock (the zero row: none). The view keeps ids[i] as the key of
// what it found: the compiled copy's string, where a view loaded from the
// databroker and statuses loaded from the store held copies of their own
// (36 bytes and more per object), and which later lookups of the same
// string compare by address alone.
func (v *View) rowsOf(recordType string, ids []string, rows []row) {
	v.mu.Lock()
	defer v.mu.Unlock()
	byID := v.rows[recordType]
	for i, id := range ids {
		var found bool
		if rows[i], found = byID[id]; found {
			byID[id] = rows[i] // assigning replaces the key
		}
	}
}

// Len returns how many records the view holds.
func (v *View) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for _, c := range v.inView {
		n += c
	}
	return n
}

// handedOver returns the status last handed over for key, an object of a
// kind with records.
func (v *View) handedOver(key compile.ObjectKey) (writtenStatus, bool) {
	rt, ok := typeOfKind(key.Kind)
	if !ok {
		return writtenStatus{}, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.rows[rt.Type][key.ID]
	return r.status, r.handed
}

// handOverFound derives the status of key from found, the outcome of
// compiling it at version, and the view's record of it, and keeps it as
// the status handed over unless it is that already (then changed is
// false): one lookup of the object's row for both. A kind without records
// has no sync status: it gets none.
func (v *View) handOverFound(key compile.ObjectKey, version int64, found compile.Status) (s store.ObjectStatus, changed bool) {
	rt, ok := typeOfKind(key.Kind)
	if !ok {
		return store.ObjectStatus{}, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.rows[rt.Type][key.ID]
	s = reportedStatus(key, version, found, r.rec, r.inView)
	return s, v.handOverLocked(rt.Type, r, s)
}

// handOverLocked keeps s as the status handed over in r, its object's row
// of a record type, unless it is the one already (then it reports false);
// mu is held.
func (v *View) handOverLocked(recordType string, r row, s store.ObjectStatus) bool {
	if r.handed && r.status.is(s) {
		return false
	}
	r.status, r.handed = summarize(s), true
	v.rows[recordType][s.ID] = r
	return true
}

// forgetStatus drops the status handed over for key.
func (v *View) forgetStatus(key compile.ObjectKey) {
	rt, ok := typeOfKind(key.Kind)
	if !ok {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if r, ok := v.rows[rt.Type][key.ID]; ok && r.handed {
		r.status, r.handed = writtenStatus{}, false
		v.put(rt.Type, key.ID, r)
	}
}

// loadStatuses keeps statuses, by id, as those handed over for the objects of
// a kind with records.
func (v *View) loadStatuses(kind store.Kind, statuses map[string]store.ObjectStatus) {
	rt, ok := typeOfKind(kind)
	if !ok {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	byID := v.rows[rt.Type]
	for id, s := range statuses {
		r := byID[id]
		r.status, r.handed = summarize(s), true
		byID[id] = r
	}
}
