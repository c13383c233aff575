package store

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

const (
	routeID    = "3f0c5f4e-7d0e-4a51-9a43-5d3b1c6e2a10"
	otherRoute = "b1a2c3d4-0000-4000-8000-000000000001"
)

func testSealer(t *testing.T) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{7}, EncryptionKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// secretSettings holds a secret in every place secretFields names one in
// settings: top-level strings, a list of strings, a message, a struct,
// and a key inside the second item of a list of messages and inside a
// single message, beside fields that are not secret.
func secretSettings() *configpb.Settings {
	str := func(s string) *string { return &s }
	opts, err := structpb.NewStruct(map[string]any{"service_account": "secret-directory-sa"})
	if err != nil {
		panic(err)
	}
	return &configpb.Settings{
		SharedSecret: str("secret-shared"), CookieSecret: str("secret-cookie"), IdpClientSecret: str(""),
		SigningKey: str("secret-signing"), AutocertEabMacKey: str("secret-eab"), SshUserCaKey: str("secret-ssh-ca"),
		SshHostKeys:                       &configpb.Settings_StringList{Values: []string{"secret-host-1", "secret-host-2"}},
		MetricsBasicAuth:                  str("secret-metrics"),
		OtelExporterOtlpHeaders:           []string{"authorization=secret-otel"},
		DatabrokerStorageConnectionString: str("postgres://u:secret-dsn@db"),
		GoogleCloudServerlessAuthenticationServiceAccount: str("secret-gcp"),
		DirectoryProviderOptions:                          opts,
		Certificates: []*configpb.Settings_Certificate{
			{CertBytes: []byte("cert-one"), Id: "one"},
			{CertBytes: []byte("cert-two"), KeyBytes: []byte("secret-key-two"), Id: "two"},
			{CertBytes: []byte("cert-three"), Id: "three"},
		},
		MetricsCertificate:     &configpb.Settings_Certificate{CertBytes: []byte("cert-metrics"), KeyBytes: []byte("secret-key-metrics")},
		AuthenticateServiceUrl: str("https://authenticate.example.com"),
		SetResponseHeaders:     map[string]string{"X-Frame-Options": "DENY"},
	}
}

func secretRoute() *configpb.Route {
	return &configpb.Route{
		From: "https://app.example.com", To: []string{"https://upstream.example"},
		TlsClientCert: "cert-client", TlsClientKey: "secret-tls-key", KubernetesServiceAccountToken: "secret-k8s-token",
		Mcp: &configpb.MCP{Mode: &configpb.MCP_Server{Server: &configpb.MCPServer{UpstreamOauth2: &configpb.UpstreamOAuth2{
			ClientId: "client-id", ClientSecret: "secret-oauth2", Scopes: []string{"read"},
		}}}},
		SetRequestHeaders: map[string]string{"X-Marker": "marker-route"},
	}
}

// TestSealData: the data of a route and of settings holds none of their
// secrets but every other field, and opens to the very spec written, with
// its explicit fields and a secret set to "" still set.
func TestSealData(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	for _, c := range []struct {
		obj     Object
		markers []string // values that are not secret, kept in plain text
	}{
		{&Route{ObjectMeta: ObjectMeta{ID: routeID}, Spec: secretRoute(), Explicit: []string{"pomerium.dashboard.Route:tls_client_key", "prefix"}},
			[]string{"cert-client", "client-id", "marker-route"}},
		{&Settings{ObjectMeta: ObjectMeta{ID: SettingsID}, Spec: secretSettings()},
			[]string{"cert-two", "cert-three", "cert-metrics", "authenticate.example.com"}},
	} {
		obj := c.obj
		t.Run(string(obj.Kind()), func(t *testing.T) {
			t.Parallel()
			data, err := SealData(s, obj)
			if err != nil {
				t.Fatal(err)
			}
			if i := bytes.Index(data, []byte("secret-")); i >= 0 {
				t.Errorf("the data holds %q", data[i:min(len(data), i+24)])
			}
			for _, marker := range c.markers {
				if !bytes.Contains(data, []byte(marker)) {
					t.Errorf("the data lacks %q, which is not secret", marker)
				}
			}
			got, err := OpenData(s, obj.Kind(), obj.GetObjectMeta().ID, data)
			if err != nil {
				t.Fatal(err)
			}
			*got.GetObjectMeta() = *obj.GetObjectMeta()
			if diff := cmp.Diff(obj, got, protocmp.Transform()); diff != "" {
				t.Errorf("opened (-written +read):\n%s", diff)
			}
			if _, err := DecodeData(obj.Kind(), data); err == nil {
				t.Error("DecodeData read sealed data without the key")
			}
		})
	}
}

// TestSealDataBoundToRow: sealed secrets open only in the row they were
// sealed for and with the key that sealed them.
func TestSealDataBoundToRow(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	data, err := SealData(s, &Route{ObjectMeta: ObjectMeta{ID: routeID}, Spec: secretRoute()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenData(s, KindRoute, otherRoute, data); err == nil {
		t.Error("the secrets of one route opened as another's")
	}
	other, err := NewSealer(bytes.Repeat([]byte{8}, EncryptionKeySize))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenData(other, KindRoute, routeID, data); err == nil {
		t.Error("the secrets opened with another key")
	}
}

// TestSealDataWithoutSecrets: a spec without secrets is stored as
// EncodeData writes it, byte for byte.
func TestSealDataWithoutSecrets(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	r := &Route{ObjectMeta: ObjectMeta{ID: routeID}, Spec: &configpb.Route{From: "https://app.example.com"}, Explicit: []string{"prefix"}}
	sealed, err := SealData(s, r)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := EncodeData(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sealed, plain) {
		t.Errorf("sealed %x, want EncodeData's %x", sealed, plain)
	}
}

// TestResealData: data an earlier console wrote, secrets in plain text,
// reads as it was and is resealed into data that holds none and opens to
// the same object; resealing that again changes nothing, and other kinds
// are left as they are.
func TestResealData(t *testing.T) {
	t.Parallel()
	s := testSealer(t)
	for _, obj := range []Object{
		&Route{ObjectMeta: ObjectMeta{ID: routeID}, Spec: secretRoute(), Explicit: []string{"prefix"}},
		&Settings{ObjectMeta: ObjectMeta{ID: SettingsID}, Spec: secretSettings()},
	} {
		id := obj.GetObjectMeta().ID
		legacy, err := EncodeData(obj)
		if err != nil {
			t.Fatal(err)
		}
		read, err := OpenData(s, obj.Kind(), id, legacy)
		if err != nil {
			t.Fatal(err)
		}
		*read.GetObjectMeta() = *obj.GetObjectMeta()
		if diff := cmp.Diff(obj, read, protocmp.Transform()); diff != "" {
			t.Errorf("%s written in plain text read (-written +read):\n%s", obj.Kind(), diff)
		}
		resealed, changed, err := ResealData(s, obj.Kind(), id, legacy)
		if err != nil || !changed {
			t.Fatalf("%s: reseal = %v, %v; want resealed", obj.Kind(), changed, err)
		}
		if bytes.Contains(resealed, []byte("secret-")) {
			t.Errorf("%s: resealed data holds a secret", obj.Kind())
		}
		opened, err := OpenData(s, obj.Kind(), id, resealed)
		if err != nil {
			t.Fatal(err)
		}
		*opened.GetObjectMeta() = *obj.GetObjectMeta()
		if diff := cmp.Diff(obj, opened, protocmp.Transform()); diff != "" {
			t.Errorf("%s resealed (-written +read):\n%s", obj.Kind(), diff)
		}
		again, changed, err := ResealData(s, obj.Kind(), id, resealed)
		if err != nil || changed || !bytes.Equal(again, resealed) {
			t.Errorf("%s: resealing sealed data = changed %v, %v; want it as it was", obj.Kind(), changed, err)
		}
	}
	p := &Policy{PPL: `allow: {and: [{accept: true}]}`}
	data, err := EncodeData(p)
	if err != nil {
		t.Fatal(err)
	}
	if out, changed, err := ResealData(s, KindPolicy, routeID, data); err != nil || changed || !bytes.Equal(out, data) {
		t.Errorf("a policy resealed: changed %v, %v", changed, err)
	}
}
