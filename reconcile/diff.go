package reconcile

import (
	"cmp"
	"slices"
	"strings"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// Plan is the difference between the target records and the view: what to
// write, in an order that is safe to write in.
type Plan struct {
	// Writes are upserts (policies and key pairs before the routes that use
	// them) followed by tombstones (routes before the policies they used).
	Writes  []*pb.Record
	Puts    int
	Deletes int
}

// Empty reports whether the plan writes nothing.
func (p *Plan) Empty() bool { return len(p.Writes) == 0 }

// Target is the compiled desired state a plan is made from.
type Target interface {
	// Changed returns an object's record unless its data has the digest
	// held (nil: none), and whether the object has a record at all.
	Changed(key compile.ObjectKey, held *compile.Digest) (*pb.Record, bool)
	Status(compile.ObjectKey) (compile.Status, bool)
}

// Diff plans the writes that make the databroker hold the target's record
// for each of keys among the records we own, and nothing for an object that
// is gone. A record of an object that exists but is invalid is kept: its
// last good version goes on serving until the object is fixed, and the
// object's status says why it is not updated.
func Diff(target Target, keys []compile.ObjectKey, view *View, now time.Time) (*Plan, error) {
	var puts, deletes []*pb.Record
	deletedAt := timestamppb.New(now)
	for _, key := range keys {
		rt, ok := typeOfKind(key.Kind)
		if !ok {
			continue
		}
		e, inView := view.Get(rt.Type, key.ID)
		var held *compile.Digest
		if inView {
			held = &e.Digest
		}
		// compile encodes record data deterministically, so the target's
		// bytes are already canonical.
		if rec, has := target.Changed(key, held); has {
			if rec != nil {
				puts = append(puts, rec)
			}
			continue
		}
		if s, exists := target.Status(key); !goes(s, exists, inView) {
			continue
		}
		// Backends that store records as JSON need data of a known type
		// even in a tombstone: an empty message of the record's type.
		data, err := anypb.New(rt.New())
		if err != nil {
			return nil, err
		}
		deletes = append(deletes, &pb.Record{Type: rt.Type, Id: key.ID, DeletedAt: deletedAt, Data: data})
	}
	// Deterministic plans are testable plans.
	slices.SortFunc(puts, func(a, b *pb.Record) int { return compareRecords(a, b, false) })
	slices.SortFunc(deletes, func(a, b *pb.Record) int { return compareRecords(a, b, true) })
	puts, deletes = slices.CompactFunc(puts, sameRecord), slices.CompactFunc(deletes, sameRecord)
	return &Plan{Writes: append(puts, deletes...), Puts: len(puts), Deletes: len(deletes)}, nil
}

// goes reports whether the databroker's record of an object without a
// target record goes: it does unless the view holds none, or the object
// exists (exists) but is invalid (s), when its last good record goes on
// serving until the object is fixed.
func goes(s compile.Status, exists, inView bool) bool {
	return inView && !(exists && !s.Valid)
}

// compareRecords orders records by type in write order (or, for deletes,
// the reverse) and then by id.
func compareRecords(a, b *pb.Record, reverse bool) int {
	ta, tb := typeIndex(a.GetType()), typeIndex(b.GetType())
	if reverse {
		ta, tb = tb, ta
	}
	return cmp.Or(cmp.Compare(ta, tb), strings.Compare(a.GetId(), b.GetId()))
}

func sameRecord(a, b *pb.Record) bool { return a.GetType() == b.GetType() && a.GetId() == b.GetId() }

func typeIndex(name string) int {
	return slices.IndexFunc(recordTypes, func(rt recordType) bool { return rt.Type == name })
}
