package compile

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestKeyPairRecord(t *testing.T) {
	t.Parallel()
	cert := append(readTestdata(t, "server.pem"), readTestdata(t, "ca.pem")...)
	key := readTestdata(t, "server-key.pem")
	res := Compile(&store.State{
		Namespaces: tree(),
		KeyPairs:   []*store.KeyPair{keyPair(keyPairID(1), nsTeam, "app", cert, key)},
	})
	rec := findRecord(res, RecordTypeKeyPair, keyPairID(1))
	if rec == nil {
		t.Fatalf("no record; status %+v", res.Status)
	}
	validity := func() (*timestamppb.Timestamp, *timestamppb.Timestamp) {
		return timestamppb.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), timestamppb.New(time.Date(2125, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	nb, na := validity()
	caName := &configpb.Name{Country: []string{"FR"}, Organization: []string{"Example Org"}, CommonName: "Example Test CA"}
	want := &configpb.KeyPair{
		Id: new(keyPairID(1)), NamespaceId: new(nsTeam), OriginatorId: new(OriginatorID), Name: new("app"),
		Certificate: cert, Key: key,
		CreatedAt: timestamppb.New(created), ModifiedAt: timestamppb.New(modified),
		Status: configpb.KeyPairStatus_KEY_PAIR_STATUS_READY, Origin: configpb.KeyPairOrigin_KEY_PAIR_ORIGIN_USER,
		CertificateInfo: []*configpb.CertificateInfo{
			{
				Version: 3, Serial: "2002", Issuer: caName,
				Subject:   &configpb.Name{Organization: []string{"Example Org"}, OrganizationalUnit: []string{"Web"}, Locality: []string{"Paris"}, CommonName: "app.example.com"},
				NotBefore: nb, NotAfter: na,
				KeyUsage:       &configpb.KeyUsage{DigitalSignature: true, KeyEncipherment: true, ServerAuth: true},
				DnsNames:       []string{"app.example.com", "*.app.example.com"},
				EmailAddresses: []string{"ops@example.com"},
				IpAddresses:    []string{"192.0.2.10"},
				Uris:           []string{"spiffe://example.com/app"},
			},
			{
				Version: 3, Serial: "1001", Issuer: caName, Subject: caName,
				NotBefore: nb, NotAfter: na,
				KeyUsage: &configpb.KeyUsage{DigitalSignature: true, CertSign: true, CrlSign: true},
			},
		},
	}
	if diff := cmp.Diff(want, decode(t, rec), protocmp.Transform()); diff != "" {
		t.Errorf("key pair record (-want +got):\n%s", diff)
	}
}

func TestKeyPairValidation(t *testing.T) {
	t.Parallel()
	ca, server, serverKey, clientKey := readTestdata(t, "ca.pem"), readTestdata(t, "server.pem"), readTestdata(t, "server-key.pem"), readTestdata(t, "client-key.pem")
	notLoaded := keyPair(keyPairID(1), nsGlobal, "kp", server, nil)
	notLoaded.HasPrivateKey = true
	for _, tc := range []struct {
		name string
		kp   *store.KeyPair
		want Status
	}{
		{"certificate only", keyPair(keyPairID(1), nsGlobal, "kp", ca, nil), validStatus()},
		{"with key", keyPair(keyPairID(1), nsGlobal, "kp", server, serverKey), validStatus()},
		{"not pem", keyPair(keyPairID(1), nsGlobal, "kp", []byte("garbage"), nil), invalid("certificate", "is not PEM (after 0 certificates)")},
		{"no certificate", keyPair(keyPairID(1), nsGlobal, "kp", serverKey, nil), invalid("certificate", "holds no PEM CERTIFICATE block")},
		{"key not loaded", notLoaded, invalid("private_key", "is stored but was not loaded: compile a state read with secrets")},
		{"wrong key", keyPair(keyPairID(1), nsGlobal, "kp", server, clientKey), invalid("private_key", "does not form a key pair with the certificate: tls: private key does not match public key")},
		{"missing namespace", keyPair(keyPairID(1), nsApp+"0", "kp", ca, nil), invalid("namespace_id", "namespace "+nsApp+"0 does not exist")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := Compile(&store.State{Namespaces: tree(), KeyPairs: []*store.KeyPair{tc.kp}})
			if diff := cmp.Diff(tc.want, res.Status[ObjectKey{store.KindKeyPair, keyPairID(1)}]); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if emitted := findRecord(res, RecordTypeKeyPair, keyPairID(1)) != nil; emitted != tc.want.Valid {
				t.Errorf("record emitted = %v, want %v", emitted, tc.want.Valid)
			}
		})
	}
}
