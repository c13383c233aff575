package manage

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// typeOf is the databroker record type of Pomerium's message m.
func typeOf(m proto.Message) string {
	return "type.googleapis.com/" + string(m.ProtoReflect().Descriptor().FullName())
}

// The directory's record types: their data is a google.protobuf.Struct.
const (
	directoryUserType  = "pomerium.io/DirectoryUser"
	directoryGroupType = "pomerium.io/DirectoryGroup"
)

// recordPage is how many records one Query of a databroker asks for:
// lists page through a databroker without holding all its records.
const recordPage = 1000

// scanRecords calls fn with every live record of recordType in b whose
// string fields contain text without regard to case (every record for an
// empty text), until fn returns false. Every record is read from one
// SyncLatest stream, a record at a time: paging with Query costs the
// databroker a pass over the type for every page. A text is matched by the
// databroker, whose answers are then paged.
func scanRecords(ctx context.Context, b databrokerpb.DataBrokerServiceClient, recordType, text string, fn func(*databrokerpb.Record) bool) error {
	if text == "" {
		return streamRecords(ctx, b, recordType, fn)
	}
	return queryRecords(ctx, b, "list "+recordType+" records", &databrokerpb.QueryRequest{Type: recordType, Query: text}, fn)
}

// queryRecords calls fn with every record q matches, asking for a page at
// a time, until fn returns false; what names the read in an error.
func queryRecords(ctx context.Context, b databrokerpb.DataBrokerServiceClient, what string, q *databrokerpb.QueryRequest, fn func(*databrokerpb.Record) bool) error {
	for offset := int64(0); ; offset += recordPage {
		q.Offset, q.Limit = offset, recordPage
		res, err := b.Query(ctx, q)
		if err != nil {
			return unreachable(what, err)
		}
		for _, r := range res.GetRecords() {
			if !fn(r) {
				return nil
			}
		}
		if len(res.GetRecords()) < recordPage || offset+recordPage >= res.GetTotalCount() {
			return nil
		}
	}
}

// streamRecords calls fn with every live record of recordType from one
// SyncLatest stream, until fn returns false.
func streamRecords(ctx context.Context, b databrokerpb.DataBrokerServiceClient, recordType string, fn func(*databrokerpb.Record) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := b.SyncLatest(ctx, &databrokerpb.SyncLatestRequest{Type: recordType})
	if err != nil {
		return unreachable("read "+recordType+" records", err)
	}
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return unreachable("read "+recordType+" records", err)
		}
		if r := res.GetRecord(); r != nil && r.GetDeletedAt() == nil && !fn(r) {
			return nil
		}
	}
}

// recordsByID reads the live records of recordType with the given ids, in
// one query; ids not found are left out.
func recordsByID(ctx context.Context, b databrokerpb.DataBrokerServiceClient, recordType string, ids []string) (map[string]*databrokerpb.Record, error) {
	out := map[string]*databrokerpb.Record{}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	for len(ids) > 0 {
		n := min(len(ids), recordPage)
		or := make([]any, 0, n)
		for _, id := range ids[:n] {
			or = append(or, map[string]any{"id": id})
		}
		filter, err := structpb.NewStruct(map[string]any{"$or": or})
		if err != nil {
			return nil, err
		}
		res, err := b.Query(ctx, &databrokerpb.QueryRequest{Type: recordType, Filter: filter, Limit: int64(n)})
		if err != nil {
			return nil, unreachable("read "+recordType+" records", err)
		}
		for _, r := range res.GetRecords() {
			out[r.GetId()] = r
		}
		ids = ids[n:]
	}
	return out, nil
}

// getRecord reads one live record, or nil when there is none.
func getRecord(ctx context.Context, b databrokerpb.DataBrokerServiceClient, recordType, id string) (*databrokerpb.Record, error) {
	res, err := b.Get(ctx, &databrokerpb.GetRequest{Type: recordType, Id: id})
	if status.Code(err) == codes.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, unreachable("read "+recordType+" "+id, err)
	}
	return res.GetRecord(), nil
}

// deleteRecords deletes records as Pomerium does: each is put back, data
// and all, with deleted_at set.
func deleteRecords(ctx context.Context, b databrokerpb.DataBrokerServiceClient, records []*databrokerpb.Record, now *timestamppb.Timestamp) error {
	for len(records) > 0 {
		n := min(len(records), recordPage)
		batch := make([]*databrokerpb.Record, n)
		for i, r := range records[:n] {
			batch[i] = &databrokerpb.Record{Type: r.GetType(), Id: r.GetId(), Data: r.GetData(), DeletedAt: now}
		}
		if _, err := b.Put(ctx, &databrokerpb.PutRequest{Records: batch}); err != nil {
			return unreachable("delete records", err)
		}
		records = records[n:]
	}
	return nil
}

// decode reads the data of r into m; data of another type is an error.
func decode(r *databrokerpb.Record, m proto.Message) error {
	return anypb.UnmarshalTo(r.GetData(), m, proto.UnmarshalOptions{DiscardUnknown: true})
}

// structString is a string value of a directory record's data.
func structString(s *structpb.Struct, key string) string {
	return s.GetFields()[key].GetStringValue()
}

// structStrings is a list of strings of a directory record's data.
func structStrings(s *structpb.Struct, key string) []string {
	var out []string
	for _, v := range s.GetFields()[key].GetListValue().GetValues() {
		if str := v.GetStringValue(); str != "" {
			out = append(out, str)
		}
	}
	return out
}

// containsFold reports whether s contains sub without regard to case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// topK keeps the first k items by cmp of those it is given, holding at
// most about 2k at a time: a page of a list sorted across more records than
// a console should hold at once.
type topK[T any] struct {
	k     int
	cmp   func(a, b T) int
	items []T
}

func newTopK[T any](k int, cmp func(a, b T) int) *topK[T] {
	return &topK[T]{k: k, cmp: cmp}
}

// add offers one item.
func (t *topK[T]) add(v T) {
	t.items = append(t.items, v)
	if len(t.items) >= 2*t.k+recordPage {
		t.trim()
	}
}

func (t *topK[T]) trim() {
	slices.SortStableFunc(t.items, t.cmp)
	if len(t.items) > t.k {
		clear(t.items[t.k:])
		t.items = t.items[:t.k]
	}
}

// sorted returns the first k items in order.
func (t *topK[T]) sorted() []T {
	t.trim()
	return t.items
}
