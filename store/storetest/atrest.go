package storetest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// Secret is one secret value written through a store, named for the
// failure message.
type Secret struct {
	Name  string
	Value []byte
}

// WriteSealedSecrets writes through s one object of every kind whose
// secret the store seals at rest, each with a random secret of its own: a
// key pair's private key, a cluster's shared secret, a data source's
// headers and a console secret (Secret, as the service-account signing key
// and the CSRF key are kept). It returns the secrets, which a test then
// looks for in the raw database (FindPlaintext).
func WriteSealedSecrets(t testing.TB, s store.Store) []Secret {
	t.Helper()
	ctx := t.Context()
	actor := store.Actor{Subject: "at-rest", Origin: store.OriginAPI}
	cert := newCertificate(t, "at-rest.example.com")
	keyPEM := cert.pkcs8PEM(t)
	if _, err := store.Put(ctx, s, actor, newKeyPair(store.GlobalNamespaceID, "at-rest", cert.certPEM, keyPEM), 0); err != nil {
		t.Fatalf("put key pair: %v", err)
	}
	clusterSecret := make([]byte, 32) // a cluster's shared secret is 32 bytes
	_, _ = rand.Read(clusterSecret)   // never fails (Go 1.24+)
	c := newCluster(uuid.NewString(), "at-rest")
	c.SharedSecret = clusterSecret
	if _, err := s.Apply(ctx, actor,
		&store.PutOp{Object: &store.Namespace{ObjectMeta: store.ObjectMeta{ID: c.ID, NamespaceID: store.GlobalNamespaceID, Name: c.Name}, Cluster: true}},
		&store.PutOp{Object: c}); err != nil {
		t.Fatalf("put cluster: %v", err)
	}
	header := randomSecret("header")
	d := newDataSource(store.GlobalNamespaceID, "example.com/AtRest")
	d.Headers = map[string]string{"Authorization": "Bearer " + string(header)}
	if _, err := store.Put(ctx, s, actor, d, 0); err != nil {
		t.Fatalf("put data source: %v", err)
	}
	consoleSecret := randomSecret("console")
	if _, err := s.Secret(ctx, "at-rest", func() ([]byte, error) { return consoleSecret, nil }); err != nil {
		t.Fatalf("console secret: %v", err)
	}
	return []Secret{
		{"key pair private key (PEM)", keyPEM},
		{"key pair private key (PEM body)", pemBody(keyPEM)},
		{"cluster shared secret", clusterSecret},
		{"data source header", header},
		{"console secret", consoleSecret},
	}
}

// WriteSpecSecrets writes the settings' and a route's secret fields
// (idp_client_secret, shared_secret, cookie_secret; a route's
// idp_client_secret and tls_client_key) through s and returns them.
func WriteSpecSecrets(t testing.TB, s store.Store) []Secret {
	t.Helper()
	ctx := t.Context()
	actor := store.Actor{Subject: "at-rest", Origin: store.OriginAPI}
	idp, shared, cookie := randomSecret("idp"), randomSecret("shared"), randomSecret("cookie")
	settings := &store.Settings{Spec: &configpb.Settings{
		IdpClientSecret: new(string(idp)), SharedSecret: new(base64.StdEncoding.EncodeToString(shared)),
		CookieSecret: new(base64.StdEncoding.EncodeToString(cookie)),
	}}
	if _, err := store.Put(ctx, s, actor, settings, 0); err != nil {
		t.Fatalf("put settings: %v", err)
	}
	routeIdp, routeKey := randomSecret("route-idp"), randomSecret("route-key")
	r := newRoute(store.GlobalNamespaceID, "at-rest", "https://at-rest.example.com")
	r.Spec.IdpClientSecret = new(string(routeIdp))
	r.Spec.TlsClientKey = string(routeKey)
	if _, err := store.Put(ctx, s, actor, r, 0); err != nil {
		t.Fatalf("put route: %v", err)
	}
	return []Secret{
		{"settings idp_client_secret", idp}, {"settings shared_secret", shared}, {"settings cookie_secret", cookie},
		{"route idp_client_secret", routeIdp}, {"route tls_client_key", routeKey},
	}
}

// FindPlaintext returns the names of the secrets that raw holds as they
// are or in standard or URL-safe base64 (with and without padding), and
// any of those in hex: the forms a database file, a dump or a text
// rendering of a row would show them in.
func FindPlaintext(raw []byte, secrets []Secret) []string {
	var found []string
	for _, s := range secrets {
		for _, form := range forms(s.Value) {
			if bytes.Contains(raw, form) {
				found = append(found, s.Name)
				break
			}
		}
	}
	return found
}

func forms(v []byte) [][]byte {
	plain := [][]byte{v}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		// The tail of an encoding depends on what follows the value, so
		// only the part that three-byte groups fix whole is looked for.
		plain = append(plain, []byte(enc.EncodeToString(v[:len(v)/3*3])))
	}
	// A text rendering of binary data (bytea in PostgreSQL) shows each
	// of those in hex.
	out := slices.Clone(plain)
	for _, p := range plain {
		out = append(out, []byte(hex.EncodeToString(p)))
	}
	return out
}

// randomSecret is a secret no other test writes: a name and 24 random
// bytes in hex.
func randomSecret(name string) []byte {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return []byte("at-rest-" + name + "-" + hex.EncodeToString(b))
}

// pemBody is the base64 body of a PEM block, on one line as a database
// might hold it after a JSON round trip.
func pemBody(p []byte) []byte {
	lines := bytes.Split(p, []byte("\n"))
	var body []byte
	for _, l := range lines {
		if len(l) > 0 && !bytes.HasPrefix(l, []byte("-----")) {
			body = append(body, l...)
		}
	}
	return body[:64] // the first line's worth: a line break may split it anywhere after
}
