package storetest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

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
// headers, a console secret (Secret, as the service-account signing key
// and the CSRF key are kept) and the secret fields of the settings and of
// a route (WriteSpecSecrets). It returns the secrets, which a test then
// looks for in the raw database (FindPlaintext), and markers: values
// written beside them that are not secret and are kept in plain text, so
// that a search which finds none of the secrets proves it reads the rows
// that hold them by finding every marker.
func WriteSealedSecrets(t testing.TB, s store.Store) (secrets, markers []Secret) {
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
	secrets = []Secret{
		{"key pair private key (PEM)", keyPEM},
		{"key pair private key (PEM body)", pemBody(keyPEM)},
		{"cluster shared secret", clusterSecret},
		{"data source header", header},
		{"console secret", consoleSecret},
	}
	spec, markers := WriteSpecSecrets(t, s)
	return append(secrets, spec...), markers
}

// SpecSecrets are the settings and a route holding a random value in the
// secret fields of their specs the store seals (idp_client_secret,
// shared_secret, cookie_secret, a certificate's key; a route's
// idp_client_secret, tls_client_key and an MCP server's OAuth2 client
// secret), and a random marker in a field beside them that is not secret.
func SpecSecrets() (settings *store.Settings, route *store.Route, secrets, markers []Secret) {
	idp, shared, cookie, certKey := randomSecret("idp"), randomSecret("shared"), randomSecret("cookie"), randomSecret("certificate-key")
	settingsMarker := randomSecret("settings-marker")
	settings = &store.Settings{
		ObjectMeta: store.ObjectMeta{ID: store.SettingsID, NamespaceID: store.GlobalNamespaceID},
		Spec: &configpb.Settings{
			IdpClientSecret: new(string(idp)), SharedSecret: new(base64.StdEncoding.EncodeToString(shared)),
			CookieSecret:       new(base64.StdEncoding.EncodeToString(cookie)),
			SetResponseHeaders: map[string]string{"X-At-Rest": string(settingsMarker)},
			Certificates:       []*configpb.Settings_Certificate{{CertBytes: []byte("certificate"), KeyBytes: certKey}},
		},
	}
	routeIdp, routeKey, oauth2 := randomSecret("route-idp"), randomSecret("route-key"), randomSecret("route-oauth2")
	routeMarker := randomSecret("route-marker")
	route = newRoute(store.GlobalNamespaceID, "at-rest", "https://at-rest.example.com")
	route.Spec.IdpClientSecret = new(string(routeIdp))
	route.Spec.TlsClientKey = string(routeKey)
	route.Spec.SetRequestHeaders = map[string]string{"X-At-Rest": string(routeMarker)}
	route.Spec.Mcp = &configpb.MCP{Mode: &configpb.MCP_Server{Server: &configpb.MCPServer{
		UpstreamOauth2: &configpb.UpstreamOAuth2{ClientId: "at-rest", ClientSecret: string(oauth2)},
	}}}
	secrets = []Secret{
		{"settings idp_client_secret", idp}, {"settings shared_secret", shared}, {"settings cookie_secret", cookie},
		{"settings certificate key_bytes", certKey},
		{"route idp_client_secret", routeIdp}, {"route tls_client_key", routeKey},
		{"route mcp upstream_oauth2 client_secret", oauth2},
	}
	markers = []Secret{{"settings set_response_headers", settingsMarker}, {"route set_request_headers", routeMarker}}
	return settings, route, secrets, markers
}

// WriteSpecSecrets writes SpecSecrets' settings and route through s and
// returns their secrets and markers.
func WriteSpecSecrets(t testing.TB, s store.Store) (secrets, markers []Secret) {
	t.Helper()
	ctx := t.Context()
	actor := store.Actor{Subject: "at-rest", Origin: store.OriginAPI}
	settings, route, secrets, markers := SpecSecrets()
	if _, err := store.Put(ctx, s, actor, settings, 0); err != nil {
		t.Fatalf("put settings: %v", err)
	}
	if _, err := store.Put(ctx, s, actor, route, 0); err != nil {
		t.Fatalf("put route: %v", err)
	}
	return secrets, markers
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

// LegacySpec is what a console older than the sealing of route and
// settings secrets kept: the settings and routes, a deleted one too, with
// their secrets in plain text in the objects' data.
type LegacySpec struct {
	Settings         *store.Settings
	Route            *store.Route
	Secrets, Markers []Secret
}

// WriteLegacySpecSecrets writes SpecSecrets' settings and route, and a
// route deleted since, through s, then puts back in their rows, with exec
// (SQL of the test's own, $1-style parameters, bypassing the store), the
// data an earlier console wrote for them: EncodeData's, the secrets in
// plain text. A test then takes the database back to that console's
// schema, opens it and looks in the raw database for the secrets (none
// must be found) and the markers (all must be).
func WriteLegacySpecSecrets(t testing.TB, s store.Store, exec func(query string, args ...any) error) *LegacySpec {
	t.Helper()
	ctx := t.Context()
	actor := store.Actor{Subject: "at-rest", Origin: store.OriginAPI}
	settings, route, secrets, markers := SpecSecrets()
	deletedKey := randomSecret("deleted-route-key")
	deleted := newRoute(store.GlobalNamespaceID, "at-rest-deleted", "https://at-rest-deleted.example.com")
	deleted.Spec.TlsClientKey = string(deletedKey)
	written, err := s.Apply(ctx, actor, &store.PutOp{Object: settings}, &store.PutOp{Object: route}, &store.PutOp{Object: deleted})
	if err != nil {
		t.Fatalf("put settings and routes: %v", err)
	}
	gone := written[2].GetObjectMeta().ID
	if _, err := s.Apply(ctx, actor, &store.DeleteOp{Kind: store.KindRoute, ID: gone}); err != nil {
		t.Fatalf("delete route: %v", err)
	}
	for _, obj := range written {
		data, err := store.EncodeData(obj)
		if err != nil {
			t.Fatal(err)
		}
		if err := exec("UPDATE objects SET data = $1 WHERE kind = $2 AND id = $3", data, string(obj.Kind()), obj.GetObjectMeta().ID); err != nil {
			t.Fatalf("write %s %s as an earlier console did: %v", obj.Kind(), obj.GetObjectMeta().ID, err)
		}
	}
	return &LegacySpec{
		Settings: written[0].(*store.Settings), Route: written[1].(*store.Route),
		Secrets: append(secrets, Secret{"deleted route tls_client_key", deletedKey}), Markers: markers,
	}
}

// ForgetSealedVersion takes a database back to the schema of a console
// older than the sealing of route and settings secrets, with exec as
// WriteLegacySpecSecrets takes it: without console_meta's sealed_version
// and without the record of migration, the backend's migration that made
// it, and of every later one (those apply again).
func ForgetSealedVersion(t testing.TB, exec func(query string, args ...any) error, migration int64) {
	t.Helper()
	if err := exec("ALTER TABLE console_meta DROP COLUMN sealed_version"); err != nil {
		t.Fatalf("drop sealed_version: %v", err)
	}
	// Later migrations apply again; what they made goes, so that they
	// find what a database of that console holds.
	for _, undo := range []string{
		"DROP TABLE object_counts",
		"DROP INDEX object_refs_to_from",
		"CREATE INDEX object_refs_to ON object_refs (to_kind, to_id)",
		"DROP INDEX IF EXISTS objects_search",
		"DROP INDEX objects_list_by_created",
		"DROP INDEX objects_list_by_modified",
		"DROP INDEX objects_list_everywhere_by_created",
		"DROP INDEX objects_list_everywhere_by_modified",
	} {
		if err := exec(undo); err != nil {
			t.Fatalf("%s: %v", undo, err)
		}
	}
	if err := exec("DELETE FROM console_schema_version WHERE version_id >= $1", migration); err != nil {
		t.Fatalf("forget migration %d and later: %v", migration, err)
	}
}

// CheckRead checks that s reads the settings and the route with every
// secret as they were written, one by one and in a whole load, as the
// compiler, exports and the readers who may see secrets need them.
func (l *LegacySpec) CheckRead(t testing.TB, s store.Store) {
	t.Helper()
	ctx := t.Context()
	settings, err := store.Get[*store.Settings](ctx, s, store.SettingsID)
	if err != nil {
		t.Fatalf("get settings: %v", err)
	}
	route, err := store.Get[*store.Route](ctx, s, l.Route.ID)
	if err != nil {
		t.Fatalf("get route: %v", err)
	}
	st, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	i := slices.IndexFunc(st.Routes, func(r *store.Route) bool { return r.ID == l.Route.ID })
	if i < 0 {
		t.Fatalf("the load lacks route %s", l.Route.ID)
	}
	for _, c := range []struct {
		what      string
		want, got proto.Message
	}{
		{"settings read", l.Settings.Spec, settings.Spec},
		{"settings loaded", l.Settings.Spec, st.Settings.Spec},
		{"route read", l.Route.Spec, route.Spec},
		{"route loaded", l.Route.Spec, st.Routes[i].Spec},
	} {
		if diff := cmp.Diff(c.want, c.got, protocmp.Transform()); diff != "" {
			t.Errorf("%s (-written +read):\n%s", c.what, diff)
		}
	}
}
