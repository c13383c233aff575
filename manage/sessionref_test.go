package manage

import (
	"testing"
	"time"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/sessionpb"
)

// TestRefOf: what a list sorts and filters sessions by, read without
// decoding them, is what decoding them gives.
func TestRefOf(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 4, 30, 0, 123456789, time.UTC)
	claims, _ := structpb.NewList([]any{"a@example.com"})
	for _, s := range []*sessionpb.Session{
		{},
		{Id: "s1", UserId: "u1"},
		{Id: "s2", UserId: "u2", IssuedAt: timestamppb.New(at), AccessedAt: timestamppb.New(at.Add(time.Hour)), ExpiresAt: timestamppb.New(at.Add(-time.Hour)),
			IdToken: &sessionpb.IDToken{Issuer: "idp", IssuedAt: timestamppb.New(at.Add(time.Minute))}, Claims: map[string]*structpb.ListValue{"email": claims},
			DeviceCredentials: []*sessionpb.Session_DeviceCredential{{TypeId: "any", Credential: &sessionpb.Session_DeviceCredential_Id{Id: "c"}}},
			RefreshDisabled:   true, ImpersonateSessionId: new("s9")},
		{Id: "s3", IssuedAt: timestamppb.New(time.Unix(-5, 0))},
	} {
		data, err := anypb.New(s)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := refOf(&databrokerpb.Record{Type: sessionType, Id: "record-id", Data: data})
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		wantID := s.GetId()
		if wantID == "" {
			wantID = "record-id"
		}
		if ref.id != wantID || ref.userID != s.GetUserId() || !ref.issued.Equal(s.GetIssuedAt().AsTime()) ||
			!ref.accessed.Equal(s.GetAccessedAt().AsTime()) || !ref.expires.Equal(s.GetExpiresAt().AsTime()) {
			t.Errorf("ref of %v: %+v", s, ref)
		}
	}
	other, _ := anypb.New(&sessionpb.SessionBinding{})
	if _, err := refOf(&databrokerpb.Record{Type: sessionType, Id: "x", Data: other}); err == nil {
		t.Error("a record of another message read as a session")
	}
	if _, err := refOf(&databrokerpb.Record{Type: sessionType, Id: "x", Data: &anypb.Any{TypeUrl: sessionType, Value: []byte{0x12, 0x05, 'a'}}}); err == nil {
		t.Error("a truncated session read")
	}
}

func TestHoldsFold(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		b, lower string
		want     bool
	}{
		{"Alice@Example.COM", "alice@example.com", true},
		{"xxALICE", "alice", true},
		{"alic", "alice", false},
		{"", "a", false},
		{"[x]", "[x]", true},
		{"ÉLODIE", "élodie", true},
		{"élodie", "elodie", false},
		{"abcABC", "cab", true},
		{"ab@c", "`c", false},
	} {
		if got := holdsFold([]byte(c.b), []byte(c.lower)); got != c.want {
			t.Errorf("holdsFold(%q, %q) = %v, want %v", c.b, c.lower, got, c.want)
		}
	}
}
