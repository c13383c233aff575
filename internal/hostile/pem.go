package hostile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"time"
)

// SelfSigned is a PEM self-signed certificate for bomb.example.com, made
// once per process.
var SelfSigned = sync.OnceValue(func() string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err) // the system's random source failed
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bomb.example.com"},
		DNSNames: []string{"bomb.example.com"}, NotBefore: time.Unix(1_700_000_000, 0), NotAfter: time.Unix(4_000_000_000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err) // a fixed template of a fresh key always signs
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
})

// ManyCertificates is a bundle of n copies of SelfSigned.
func ManyCertificates(n int) string { return strings.Repeat(SelfSigned(), n) }

// NestedASN1Certificate is a PEM CERTIFICATE block whose DER is depth
// nested ASN.1 SEQUENCEs around a NULL.
func NestedASN1Certificate(depth int) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: NestedASN1(depth)}))
}

// NestedASN1 is DER of depth SEQUENCEs, each holding the next, around a
// NULL.
func NestedASN1(depth int) []byte {
	b := []byte{0x05, 0x00}
	for range depth {
		b = append(derHeader(0x30, len(b)), b...)
	}
	return b
}

// derHeader is a DER tag and its definite length.
func derHeader(tag byte, n int) []byte {
	if n < 0x80 {
		return []byte{tag, byte(n)}
	}
	var l []byte
	for v := n; v > 0; v >>= 8 {
		l = append([]byte{byte(v)}, l...)
	}
	return append([]byte{tag, 0x80 | byte(len(l))}, l...)
}
