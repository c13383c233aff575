package convert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestKeyPairFromStore(t *testing.T) {
	t.Parallel()
	notBefore := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_, ipRange, err := net.ParseCIDR("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(4242),
		Subject:      pkix.Name{CommonName: "app.example.com", Organization: []string{"Example"}, Country: []string{"NL"}},
		NotBefore:    notBefore,
		NotAfter:     notBefore.Add(90 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"app.example.com"},
		IPAddresses:  []net.IP{net.ParseIP("192.0.2.1")},
		URIs:         []*url.URL{{Scheme: "spiffe", Host: "example.com", Path: "/app"}},
		IsCA:         true, BasicConstraintsValid: true,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{"example.com"},
		ExcludedIPRanges:            []*net.IPNet{ipRange},
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kp := &store.KeyPair{
		ObjectMeta:  store.ObjectMeta{ID: "id", NamespaceID: "ns", Name: "app", Version: 2},
		Certificate: certPEM, PrivateKey: []byte("secret"), HasPrivateKey: true,
	}
	got := KeyPairFromStore(kp, nil)
	name := &pb.Name{CommonName: "app.example.com", Organization: []string{"Example"}, Country: []string{"NL"}}
	want := &pb.KeyPairRecord{
		Id: "id", NamespaceId: "ns", Name: "app", Version: 2, HasPrivateKey: true, Certificate: certPEM,
		CertInfo: &pb.CertificateInfo{
			Version: 3, Serial: "4242", Issuer: name, Subject: name,
			NotBefore: timestamppb.New(notBefore), NotAfter: timestamppb.New(template.NotAfter),
			KeyUsage:                    &pb.KeyUsage{DigitalSignature: true, CertSign: true, ServerAuth: true},
			DnsNames:                    []string{"app.example.com"},
			IpAddresses:                 []string{"192.0.2.1"},
			Uris:                        []string{"spiffe://example.com/app"},
			PermittedDnsDomainsCritical: true,
			PermittedDnsDomains:         []string{"example.com"},
			ExcludedIpRanges:            []string{"10.0.0.0/8"},
		},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	broken := KeyPairFromStore(&store.KeyPair{Certificate: []byte("not PEM")}, nil)
	if broken.CertInfo != nil || broken.HasPrivateKey {
		t.Errorf("unparsable certificate: got %v", broken)
	}
}

func TestKeyPairRequests(t *testing.T) {
	t.Parallel()
	kp, err := KeyPairFromCreate(&pb.CreateKeyPairRequest{Name: "n", NamespaceId: "ns", Format: pb.Format_PEM,
		Certificate: []byte("c"), Key: []byte("k"), Id: new("id")})
	if err != nil {
		t.Fatal(err)
	}
	want := &store.KeyPair{ObjectMeta: store.ObjectMeta{ID: "id", NamespaceID: "ns", Name: "n"}, Certificate: []byte("c"), PrivateKey: []byte("k")}
	if diff := cmp.Diff(want, kp); diff != "" {
		t.Errorf("create (-want +got):\n%s", diff)
	}
	u, err := KeyPairUpdate(&pb.UpdateKeyPairRequest{Id: "id", Name: new("m"), Certificate: []byte("c2"), ExpectedVersion: new(int64(3))})
	if err != nil {
		t.Fatal(err)
	}
	wantUpdate := manage.KeyPairUpdate{ID: "id", Name: new("m"), Certificate: []byte("c2"), ExpectedVersion: new(int64(3))}
	if diff := cmp.Diff(wantUpdate, u); diff != "" {
		t.Errorf("update (-want +got):\n%s", diff)
	}
	_, err = KeyPairFromCreate(&pb.CreateKeyPairRequest{Format: 5})
	if err == nil || err.Error() != "key_pair.format: value 5 is not a known Format: certificates and keys are PEM" {
		t.Errorf("format: got %v", err)
	}
}
