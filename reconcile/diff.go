package reconcile

import (
	"slices"
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

// Diff plans the writes that make the databroker hold exactly the target
// records among the records we own. A record of an object that exists but is
// invalid is kept: its last good version goes on serving until the object is
// fixed, and the object's status says why it is not updated.
func Diff(target *compile.Result, view *View, now time.Time) (*Plan, error) {
	p := &Plan{}
	wanted := make(map[string]map[string]bool, len(recordTypes))
	for _, rt := range recordTypes {
		wanted[rt.Type] = map[string]bool{}
	}
	for _, rec := range target.Records {
		rt, ok := typeByName(rec.GetType())
		if !ok {
			continue
		}
		wanted[rt.Type][rec.GetId()] = true
		// compile encodes record data deterministically, so the target's
		// bytes are already canonical.
		if e, ok := view.Get(rt.Type, rec.GetId()); ok && string(e.Canon) == string(rec.GetData().GetValue()) {
			continue
		}
		p.Writes = append(p.Writes, rec)
		p.Puts++
	}
	deletedAt := timestamppb.New(now)
	for _, rt := range slices.Backward(recordTypes) {
		var ids []string
		view.each(rt.Type, func(id string, _ entry) {
			if wanted[rt.Type][id] {
				return
			}
			if st, exists := target.Status[compile.ObjectKey{Kind: rt.Kind, ID: id}]; exists && !st.Valid {
				return
			}
			ids = append(ids, id)
		})
		slices.Sort(ids) // deterministic plans are testable plans
		for _, id := range ids {
			// Backends that store records as JSON need data of a known type
			// even in a tombstone: an empty message of the record's type.
			data, err := anypb.New(rt.New())
			if err != nil {
				return nil, err
			}
			p.Writes = append(p.Writes, &pb.Record{Type: rt.Type, Id: id, DeletedAt: deletedAt, Data: data})
			p.Deletes++
		}
	}
	return p, nil
}
