package datasource

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// deterministic encodes record data the same way every time, so that an
// unchanged row compares equal byte for byte.
var deterministic = proto.MarshalOptions{Deterministic: true}

// view returns the records of a type the databroker holds, read once a
// run.
func (r *Runner) view(ctx context.Context, recordType string) (map[string]*pb.Record, error) {
	if v, ok := r.views[recordType]; ok {
		return v, nil
	}
	v := map[string]*pb.Record{}
	if _, err := r.opts.Client.SyncLatest(ctx, recordType, func(rec *pb.Record) { v[rec.GetId()] = rec }); err != nil {
		return nil, err
	}
	r.views[recordType] = v
	return v, nil
}

// write makes the records of recordType equal to a fetch's rows: it puts
// the new and changed ones and deletes those that are no longer there,
// and returns how many of each it wrote.
func (r *Runner) write(ctx context.Context, recordType string, t *Table) (puts, deletes int, err error) {
	view, err := r.view(ctx, recordType)
	if err != nil {
		return 0, 0, fmt.Errorf("read the records of type %s: %w", recordType, err)
	}
	var writes []*pb.Record
	fetched := make(map[string]bool, len(t.Rows))
	for _, row := range t.Rows {
		fetched[row.ID] = true
		data := &anypb.Any{}
		if err := anypb.MarshalFrom(data, row.Data, deterministic); err != nil {
			return 0, 0, fmt.Errorf("encode the record of %s: %w", row.ID, err)
		}
		if old, ok := view[row.ID]; ok && sameData(old.GetData(), data) {
			continue
		}
		writes = append(writes, &pb.Record{Type: recordType, Id: row.ID, Data: data})
	}
	puts = len(writes)
	gone := tombstones(recordType, view, func(id string) bool { return !fetched[id] })
	writes = append(writes, gone...)
	return puts, len(gone), r.put(ctx, recordType, view, writes)
}

// removeType deletes every record of a type the databroker holds and
// returns how many there were.
func (r *Runner) removeType(ctx context.Context, recordType string) (int, error) {
	view, err := r.view(ctx, recordType)
	if err != nil {
		return 0, err
	}
	gone := tombstones(recordType, view, func(string) bool { return true })
	if err := r.put(ctx, recordType, view, gone); err != nil {
		return 0, err
	}
	delete(r.views, recordType)
	return len(gone), nil
}

// tombstones are deletions of the records of view that gone picks, by
// id. Their data is an empty Struct: backends that store records as JSON
// want data of a known type even in a tombstone.
func tombstones(recordType string, view map[string]*pb.Record, gone func(id string) bool) []*pb.Record {
	deletedAt := timestamppb.New(time.Now())
	var out []*pb.Record
	for _, id := range slices.Sorted(maps.Keys(view)) {
		if !gone(id) {
			continue
		}
		data, _ := anypb.New(&structpb.Struct{}) // an empty Struct always encodes
		out = append(out, &pb.Record{Type: recordType, Id: id, Data: data, DeletedAt: deletedAt})
	}
	return out
}

// put writes records and brings the view up to date with what was
// written. After a failure the view is read again on next use: some
// batches may have been written.
func (r *Runner) put(ctx context.Context, recordType string, view map[string]*pb.Record, writes []*pb.Record) error {
	if len(writes) == 0 {
		return nil
	}
	sent := make(map[string]*pb.Record, len(writes))
	for _, rec := range writes {
		sent[rec.GetId()] = rec
	}
	err := r.opts.Client.PutEach(ctx, writes, func(rec *pb.Record) {
		if rec.GetDeletedAt() != nil {
			delete(view, rec.GetId())
			return
		}
		view[rec.GetId()] = sent[rec.GetId()]
	})
	if err != nil {
		delete(r.views, recordType)
		return fmt.Errorf("write %d records of type %s: %w", len(writes), recordType, err)
	}
	return nil
}

// sameData reports whether two records' data are equal: byte for byte,
// or as Structs.
func sameData(a, b *anypb.Any) bool {
	if a.GetTypeUrl() == b.GetTypeUrl() && bytes.Equal(a.GetValue(), b.GetValue()) {
		return true
	}
	sa, sb := &structpb.Struct{}, &structpb.Struct{}
	return a.UnmarshalTo(sa) == nil && b.UnmarshalTo(sb) == nil && proto.Equal(sa, sb)
}
