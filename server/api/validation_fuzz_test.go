package api_test

import (
	"errors"
	"regexp"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/api"
	"github.com/pomerium-console/pomerium-console/store"
)

// wantFieldError fails unless err is nil or InvalidArgument whose message
// starts with a field the pattern allows, then a colon.
func wantFieldError(t *testing.T, err error, field *regexp.Regexp) {
	t.Helper()
	if err == nil {
		return
	}
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeInvalidArgument {
		t.Fatalf("refusal %v is not InvalidArgument", err)
	}
	if !field.MatchString(ce.Message()) {
		t.Fatalf("refusal %q does not start with a field of the request", ce.Message())
	}
}

// createKeyPairField matches the message of a refused CreateKeyPair.
var createKeyPairField = regexp.MustCompile(`^(id|name|namespace_id|format|certificate|key): `)

// FuzzCreateKeyPair feeds arbitrary CreateKeyPair requests to the checks
// CreateKeyPair makes before it writes: they must never panic, and every
// refusal must be InvalidArgument naming a field of the request.
func FuzzCreateKeyPair(f *testing.F) {
	cert, key := certificate(f, "a.example.com")
	_, otherKey := certificate(f, "b.example.com")
	for _, seed := range []struct {
		id, name, ns string
		format       int32
		cert, key    []byte
	}{
		{"", "a", store.GlobalNamespaceID, 1, cert, key},
		{"", "a", store.GlobalNamespaceID, 0, cert, nil},
		{"4c1a5b0e-8f3d-4e4b-9a57-2f1c0d6e9b21", "a", store.GlobalNamespaceID, 1, cert, otherKey},
		{"x", "", "ns", 5, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte("key")},
		{"", " a", store.GlobalNamespaceID, 1, append(cert, cert...), key},
	} {
		f.Add(seed.id, seed.name, seed.ns, seed.format, seed.cert, seed.key)
	}
	f.Fuzz(func(t *testing.T, id, name, ns string, format int32, cert, key []byte) {
		req := &pb.CreateKeyPairRequest{Name: name, NamespaceId: ns, Format: pb.Format(format), Certificate: cert, Key: key}
		if id != "" {
			req.Id = &id
		}
		kp, err := api.KeyPairFromRequest(req)
		wantFieldError(t, err, createKeyPairField)
		if err == nil && (kp.Name != name || kp.NamespaceID != ns) {
			t.Fatalf("accepted %v as %v", req, kp)
		}
	})
}

// FuzzSetSettingsValidation feeds arbitrary settings, as wire bytes, to the
// checks SetSettings makes before it writes: they must never panic, and
// every refusal must be InvalidArgument naming a field of the settings.
func FuzzSetSettingsValidation(f *testing.F) {
	for _, s := range []*pb.Settings{
		someSettings(f),
		{ClusterId: new("c"), CookieSecure: new(false)},
		{Certificates: []*pb.Settings_Certificate{{CertBytes: []byte("c"), KeyPairId: "k"}}, CodecType: new(pb.CodecType(9))},
		{AuthorizeServiceUrl: new("https://a,https://b"), JwtGroupsFilter: &pb.JwtGroupsFilter{}},
	} {
		b, err := proto.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	field := regexp.MustCompile(`^settings([.\[][^:]*)?: `)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s pb.Settings
		if proto.Unmarshal(data, &s) != nil {
			return
		}
		_, err := api.SettingsFromRequest(&pb.SetSettingsRequest{Settings: &s})
		wantFieldError(t, err, field)
	})
}
