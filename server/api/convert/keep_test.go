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

// TestSettingsThrough: what the API cannot express of the settings is
// lost on their trip through the API's Settings, and what it can express
// comes back.
func TestSettingsThrough(t *testing.T) {
	t.Parallel()
	stored := &configpb.Settings{
		SigningKey: new("stored-signing-key"), // no field of pomerium.dashboard.Settings carries it
		LogLevel:   new("debug"),
	}
	if _, ok := lostInRoundTrip(stored)["signing_key"]; !ok {
		t.Fatalf("signing_key survives the API's round trip: pick another field the API cannot express")
	}
	back, err := SettingsThrough(stored)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&configpb.Settings{LogLevel: new("debug")}, back, protocmp.Transform()); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
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
