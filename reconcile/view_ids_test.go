package reconcile

import (
	"strings"
	"testing"
	"unsafe"

	pb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// The view keeps the id string of the record the console sent, which the
// compiled copy holds too, not the copy in the Put response: a million
// records would hold a million copies. A record written again keeps the
// sent id as well.
func TestViewKeepsTheSentRecordsID(t *testing.T) {
	v := NewView()
	id := "c0000000-0000-4000-8000-000000000001"
	for version := uint64(1); version <= 2; version++ {
		sent := &pb.Record{Type: compile.RecordTypeRoute, Id: strings.Clone(id),
			Data: &anypb.Any{TypeUrl: compile.RecordTypeRoute, Value: []byte{byte(version)}}}
		answered := &pb.Record{Type: sent.Type, Id: strings.Clone(id), Version: version, Data: sent.Data}
		if _, err := v.ObserveWritten(answered, sent); err != nil {
			t.Fatal(err)
		}
		var kept string
		for _, k := range v.Keys() {
			kept = k.ID
		}
		if kept != id || unsafe.StringData(kept) != unsafe.StringData(sent.Id) {
			t.Errorf("write %d: the view keeps %q at %p, want the sent id at %p", version, kept, unsafe.StringData(kept), unsafe.StringData(sent.Id))
		}
	}
}
