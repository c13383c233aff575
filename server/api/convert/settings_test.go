package convert

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestSettingsFieldsAccounted(t *testing.T) {
	t.Parallel()
	roundTrip{
		newMessage: func() proto.Message { return &pb.Settings{} },
		listed:     keys(settingsUnconverted),
		fixup: func(m proto.Message, _ int) {
			// A certificate is inline or a key pair reference, not both.
			certs := m.(*pb.Settings).Certificates
			certs[0].KeyPairId = ""
			certs[1].CertBytes, certs[1].KeyBytes = nil, nil
		},
		convert: func(t *testing.T, in proto.Message) proto.Message {
			spec, err := SettingsToStore(in.(*pb.Settings))
			if err != nil {
				t.Fatalf("SettingsToStore: %v", err)
			}
			return SettingsFromStore(&store.Settings{Spec: spec}, nil)
		},
	}.check(t)
}

func TestSettingsSpecFieldsAccounted(t *testing.T) {
	t.Parallel()
	roundTrip{
		newMessage: func() proto.Message { return &configpb.Settings{} },
		listed:     keys(settingsHidden),
		convert: func(t *testing.T, in proto.Message) proto.Message {
			spec, err := SettingsToStore(SettingsFromStore(&store.Settings{Spec: in.(*configpb.Settings)}, nil))
			if err != nil {
				t.Fatalf("SettingsToStore: %v", err)
			}
			return spec
		},
	}.check(t)
}

func TestSettingsToStoreRefuses(t *testing.T) {
	t.Parallel()
	testRefusals(t, func(s *pb.Settings) error { _, err := SettingsToStore(s); return err }, []refusal[*pb.Settings]{
		{"file", &pb.Settings{ClientCaFile: new("/etc/ca.pem")},
			"settings.client_ca_file: is not supported: names a file on the Pomerium host, which the console cannot check: upload the certificate as a key pair and refer to it by id (client_ca_key_pair_id)"},
		{"old directory settings", &pb.Settings{IdpRefreshDirectoryInterval: durationpb.New(time.Minute)},
			"settings.idp_refresh_directory_interval: is not supported: Pomerium v0.33.0 records have no such field; use identity_provider_refresh_interval"},
		{"insecure cookies", &pb.Settings{CookieSecure: new(false)},
			"settings.cookie_secure: cannot be false: Pomerium v0.33.0 always marks its cookies Secure"},
		{"inline and referenced certificate", &pb.Settings{Certificates: []*pb.Settings_Certificate{{}, {CertBytes: []byte("c"), KeyPairId: "k"}}},
			"settings.certificates[1]: set either key_pair_id or cert_bytes and key_bytes, not both"},
		{"unknown codec", &pb.Settings{CodecType: new(pb.CodecType(9))},
			"settings.codec_type: value 9 is not a known CodecType"},
		{"unknown nested enum value", &pb.Settings{HeadersWithUnderscoresAction: new(pb.HeadersWithUnderscoresAction(8))},
			"settings.headers_with_underscores_action: value 8 is not a known HeadersWithUnderscoresAction"},
	})
}

func TestSettingsConversions(t *testing.T) {
	t.Parallel()
	in := &pb.Settings{
		Id: "ignored", CookieSecure: new(true),
		CodecType:            pb.CodecType_CODEC_TYPE_AUTO.Enum(),
		AuthorizeServiceUrl:  new("https://a.example.com,https://b.example.com"),
		DatabrokerServiceUrl: new(""),
		ClientCaKeyPairId:    new("kp"),
	}
	spec, err := SettingsToStore(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &configpb.Settings{
		CodecType:            configpb.CodecType_CODEC_TYPE_AUTO.Enum(),
		AuthorizeServiceUrls: []string{"https://a.example.com", "https://b.example.com"},
		DownstreamMtls:       &configpb.DownstreamMtlsSettings{CaKeyPairId: new("kp")},
	}
	if diff := cmp.Diff(want, spec, protocmp.Transform()); diff != "" {
		t.Errorf("to store (-want +got):\n%s", diff)
	}
	if got, _ := SettingsToStore(&pb.Settings{CodecType: pb.CodecType_CODEC_TYPE_UNKNOWN.Enum()}); got.CodecType != nil {
		t.Errorf("CODEC_TYPE_UNKNOWN stored as %v, want unset", got.CodecType)
	}

	modified := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	out := SettingsFromStore(&store.Settings{
		ObjectMeta: store.ObjectMeta{ID: store.SettingsID, ModifiedAt: modified, Version: 12, Origin: store.OriginAPI},
		Spec:       spec,
	}, &store.ObjectStatus{State: store.SyncSynced, ObjectVersion: 12})
	if out.Id != store.SettingsID || !out.ModifiedAt.AsTime().Equal(modified) || out.Version != 12 ||
		out.SyncStatus.GetOrigin() != "api" || out.SyncStatus.GetState() != "synced" {
		t.Errorf("identity and meta: got id %q, modified_at %v, version %d, sync status %v", out.Id, out.ModifiedAt, out.Version, out.SyncStatus)
	}
	if out.GetCodecType() != pb.CodecType_CODEC_TYPE_AUTO || out.GetAuthorizeServiceUrl() != "https://a.example.com,https://b.example.com" {
		t.Errorf("got codec type %v and authorize_service_url %q", out.GetCodecType(), out.GetAuthorizeServiceUrl())
	}
}
