package api_test

import (
	"bytes"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/api/dashboardpb/dashboardpbconnect"
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/store"
)

type settingsAPI struct {
	get      rpc[pb.GetSettingsRequest, pb.GetSettingsResponse]
	set      rpc[pb.SetSettingsRequest, pb.SetSettingsResponse]
	branding rpc[pb.GetSettingsRequest, pb.GetSettingsResponse]
	console  rpc[pb.GetConsoleSettingsRequest, pb.GetConsoleSettingsResponse]
}

func (e *env) settingsAPI(transport, token string) settingsAPI {
	if transport == "grpc" {
		c := pb.NewSettingsServiceClient(e.conn)
		return settingsAPI{viaGRPC(token, c.GetSettings), viaGRPC(token, c.SetSettings), viaGRPC(token, c.GetBrandingSettings),
			viaGRPC(token, c.GetConsoleSettings)}
	}
	c := dashboardpbconnect.NewSettingsServiceClient(e.http, e.url, connectOpts(token)...)
	return settingsAPI{viaConnect(c.GetSettings), viaConnect(c.SetSettings), viaConnect(c.GetBrandingSettings),
		viaConnect(c.GetConsoleSettings)}
}

// someSettings are settings with a secret, branding, an inline certificate
// and something else.
func someSettings(t testing.TB) *pb.Settings {
	cert, key := inlineCertificate(t)
	return &pb.Settings{
		LogLevel: new("debug"), SharedSecret: new("c2VjcmV0"), CookieSecret: new("Y29va2ll"),
		PrimaryColor: new("#123456"), LogoUrl: new("https://example.com/logo.png"),
		Certificates: []*pb.Settings_Certificate{{CertBytes: cert, KeyBytes: key}},
	}
}

var (
	inlineOnce            sync.Once
	inlineCert, inlineKey []byte
)

// inlineCertificate is the one certificate the settings tests inline.
func inlineCertificate(t testing.TB) (certPEM, keyPEM []byte) {
	inlineOnce.Do(func() { inlineCert, inlineKey = certificate(t, "console.example.com") })
	return inlineCert, inlineKey
}

func TestSettingsLifecycle(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			api := e.settingsAPI(transport, e.adminToken())
			before, err := api.get(e.ctx, &pb.GetSettingsRequest{})
			if err != nil || before.Settings.Id != store.SettingsID || before.Settings.Version != 0 || before.Settings.LogLevel != nil {
				t.Fatalf("settings before any write: %v, %v", before, err)
			}
			set, err := api.set(e.ctx, &pb.SetSettingsRequest{Settings: someSettings(t)})
			if err != nil {
				t.Fatal(err)
			}
			v := set.Settings.Version
			if v == 0 || set.Settings.GetLogLevel() != "debug" || set.Settings.GetSharedSecret() != "c2VjcmV0" || set.Settings.ModifiedAt == nil {
				t.Fatalf("set: %v", set.Settings)
			}
			got, err := api.get(e.ctx, &pb.GetSettingsRequest{})
			if err != nil || !proto.Equal(got.Settings, set.Settings) {
				t.Fatalf("get after set: %v, %v; want %v", got, err, set.Settings)
			}

			_, err = api.set(e.ctx, &pb.SetSettingsRequest{Settings: &pb.Settings{LogLevel: new("info")}, ExpectedVersion: new(v - 1)})
			wantCode(t, "stale set", err, connect.CodeFailedPrecondition, "")
			replaced, err := api.set(e.ctx, &pb.SetSettingsRequest{Settings: &pb.Settings{LogLevel: new("info")}, ExpectedVersion: new(v)})
			if err != nil || replaced.Settings.GetLogLevel() != "info" || replaced.Settings.SharedSecret != nil || replaced.Settings.Version <= v {
				t.Fatalf("set replaces the settings: %v, %v", replaced, err)
			}

			if err := e.store.SetStatus(e.ctx, []store.ObjectStatus{{Kind: store.KindSettings, ID: store.SettingsID,
				State: store.SyncError, ObjectVersion: replaced.Settings.Version, Reason: "bad", Field: "spec.log_level"}}); err != nil {
				t.Fatal(err)
			}
			got, err = api.get(e.ctx, &pb.GetSettingsRequest{})
			if st := got.GetSettings().GetSyncStatus(); err != nil || st.GetState() != string(store.SyncError) || st.GetField() != "spec.log_level" ||
				st.GetObjectVersion() != replaced.Settings.Version || st.GetOrigin() != string(store.OriginAPI) {
				t.Fatalf("sync status: %v, %v", got, err)
			}
		})
	}
}

func TestBrandingAndConsoleSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.settingsAPI("grpc", e.adminToken()).set(e.ctx, &pb.SetSettingsRequest{Settings: someSettings(t)}); err != nil {
		t.Fatal(err)
	}
	for _, transport := range transports {
		// Any caller may read them, even one without a role anywhere.
		api := e.settingsAPI(transport, e.account(rbac.None, store.GlobalNamespaceID))
		branding, err := api.branding(e.ctx, &pb.GetSettingsRequest{})
		want := &pb.Settings{Id: store.SettingsID, PrimaryColor: new("#123456"), LogoUrl: new("https://example.com/logo.png")}
		if err != nil || !proto.Equal(branding.Settings, want) {
			t.Fatalf("%s branding: %v, %v; want %v", transport, branding, err, want)
		}
		_, err = api.branding(e.ctx, &pb.GetSettingsRequest{ClusterId: new("c")})
		wantCode(t, transport+" branding of a cluster", err, connect.CodeInvalidArgument, "cluster_id: ")
		console, err := api.console(e.ctx, &pb.GetConsoleSettingsRequest{})
		if err != nil || !proto.Equal(console.ConsoleSettings, &pb.ConsoleSettings{}) {
			t.Fatalf("%s console settings: %v, %v", transport, console, err)
		}
	}
	_, err := e.settingsAPI("grpc", "").console(e.ctx, &pb.GetConsoleSettingsRequest{})
	wantCode(t, "console settings without a token", err, connect.CodeUnauthenticated, "")
}

func TestSettingsInvalidInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, transport := range transports {
		api := e.settingsAPI(transport, e.adminToken())
		for _, tc := range []struct {
			name string
			req  *pb.SetSettingsRequest
			want string
		}{
			{"no settings", &pb.SetSettingsRequest{}, "settings: is required"},
			{"cluster", &pb.SetSettingsRequest{Settings: &pb.Settings{ClusterId: new("c")}}, "settings.cluster_id: "},
			{"insecure cookies", &pb.SetSettingsRequest{Settings: &pb.Settings{CookieSecure: new(false)}}, "settings.cookie_secure: "},
			{"file on the Pomerium host", &pb.SetSettingsRequest{Settings: &pb.Settings{ClientCaFile: new("/ca.pem")}}, "settings.client_ca_file: "},
			{"certificate both ways", &pb.SetSettingsRequest{Settings: &pb.Settings{Certificates: []*pb.Settings_Certificate{
				{CertBytes: []byte("c"), KeyPairId: "k"}}}}, "settings.certificates[0]: "},
			{"unknown codec", &pb.SetSettingsRequest{Settings: &pb.Settings{CodecType: new(pb.CodecType(42))}}, "settings.codec_type: "},
			{"too large", &pb.SetSettingsRequest{Settings: &pb.Settings{ErrorMessageFirstParagraph: new(string(make([]byte, store.MaxObjectSize)))}}, "settings: "},
		} {
			_, err := api.set(e.ctx, tc.req)
			wantCode(t, transport+" "+tc.name, err, connect.CodeInvalidArgument, tc.want)
		}
		_, err := api.get(e.ctx, &pb.GetSettingsRequest{ClusterId: new("c")})
		wantCode(t, transport+" get of a cluster", err, connect.CodeInvalidArgument, "cluster_id: ")
	}
	got, err := e.settingsAPI("grpc", e.adminToken()).get(e.ctx, &pb.GetSettingsRequest{})
	if err != nil || got.Settings.Version != 0 {
		t.Fatalf("rejected writes changed the settings: %v, %v", got, err)
	}
}

// TestSettingsRoles: the settings belong to the Global namespace. Viewers
// of Global read them without their secrets, admins read the secrets and
// write; roles below Global grant nothing over them.
func TestSettingsRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	team := e.namespace(store.GlobalNamespaceID, "Team")
	if _, err := e.settingsAPI("grpc", e.adminToken()).set(e.ctx, &pb.SetSettingsRequest{Settings: someSettings(t)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		role      store.Role
		ns        string
		read      connect.Code
		secrets   bool
		write     connect.Code
		transport string
	}{
		{rbac.None, store.GlobalNamespaceID, connect.CodePermissionDenied, false, connect.CodePermissionDenied, "grpc"},
		{store.RoleViewer, store.GlobalNamespaceID, 0, false, connect.CodePermissionDenied, "connect-json"},
		{store.RoleManager, store.GlobalNamespaceID, 0, false, connect.CodePermissionDenied, "grpc"},
		{store.RoleAdmin, store.GlobalNamespaceID, 0, true, 0, "connect-json"},
		{store.RoleViewer, team.ID, connect.CodePermissionDenied, false, connect.CodePermissionDenied, "grpc"},
		{store.RoleAdmin, team.ID, connect.CodePermissionDenied, false, connect.CodePermissionDenied, "connect-json"},
	} {
		who := string(tc.role) + " of " + tc.ns
		api := e.settingsAPI(tc.transport, e.account(tc.role, tc.ns))
		got, err := api.get(e.ctx, &pb.GetSettingsRequest{})
		wantCode(t, who+" reading", err, tc.read, "")
		if err == nil {
			s := got.Settings
			hasSecrets := s.SharedSecret != nil || s.CookieSecret != nil || s.Certificates[0].KeyBytes != nil
			if hasSecrets != tc.secrets || s.GetLogLevel() != "debug" || !bytes.Equal(s.Certificates[0].CertBytes, inlineCert) {
				t.Errorf("%s reads %v; want secrets: %v", who, s, tc.secrets)
			}
		}
		_, err = api.set(e.ctx, &pb.SetSettingsRequest{Settings: someSettings(t)})
		wantCode(t, who+" writing", err, tc.write, "")
	}
}
