package webtest

import (
	"testing"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/databroker"
)

// PutRecord writes one record of Pomerium's into b, as Pomerium writes it.
func PutRecord(t testing.TB, b *databroker.Client, recordType, id string, m proto.Message) {
	t.Helper()
	data, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(t.Context(), []*databrokerpb.Record{{Type: recordType, Id: id, Data: data}}); err != nil {
		t.Fatal(err)
	}
}

// Record reads a live record of b into m (nil: only whether it is there)
// and reports whether it is there.
func Record(t testing.TB, b *databroker.Client, recordType, id string, m proto.Message) bool {
	t.Helper()
	res, err := b.RPC().Get(t.Context(), &databrokerpb.GetRequest{Type: recordType, Id: id})
	if status.Code(err) == codes.NotFound {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	if m != nil {
		if err := res.GetRecord().GetData().UnmarshalTo(m); err != nil {
			t.Fatal(err)
		}
	}
	return true
}
