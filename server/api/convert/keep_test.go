package convert

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestKeepUnexpressed: a settings write through the API keeps the stored
// fields the API has no place for, and still clears those it has.
func TestKeepUnexpressed(t *testing.T) {
	t.Parallel()
	stored := &configpb.Settings{
		SigningKey: new("stored-signing-key"), // no field of pomerium.dashboard.Settings carries it
		LogLevel:   new("debug"),
		Address:    new(":443"),
	}
	if _, ok := lostInRoundTrip(stored)["signing_key"]; !ok {
		t.Fatalf("signing_key survives the API's round trip: pick another field the API cannot express")
	}
	// The new spec sets the address and leaves the log level unset: an
	// expressible field the caller cleared.
	spec := &configpb.Settings{Address: new(":8443")}
	KeepUnexpressed(spec, stored)
	want := &configpb.Settings{Address: new(":8443"), SigningKey: new("stored-signing-key")}
	if diff := cmp.Diff(want, spec, protocmp.Transform()); diff != "" {
		t.Fatalf("kept (-want +got):\n%s", diff)
	}
	KeepUnexpressed(spec, nil) // no stored settings yet: nothing to keep
	if diff := cmp.Diff(want, spec, protocmp.Transform()); diff != "" {
		t.Fatalf("nil stored changed the spec:\n%s", diff)
	}
}

// lostInRoundTrip names the set fields of s that do not come back through
// the API.
func lostInRoundTrip(s *configpb.Settings) map[protoreflect.Name]bool {
	back, err := SettingsToStore(SettingsFromStore(&store.Settings{Spec: proto.CloneOf(s)}, nil))
	if err != nil {
		panic(err)
	}
	lost := map[protoreflect.Name]bool{}
	s.ProtoReflect().Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if !back.ProtoReflect().Has(f) || !back.ProtoReflect().Get(f).Equal(v) {
			lost[f.Name()] = true
		}
		return true
	})
	return lost
}
