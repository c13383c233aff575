package routes_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
)

// caPEM is a self-signed certificate authority.
func caPEM(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// exportFixture is a namespace whose routes use most of what an export
// must carry: weights, a redirect, settings with their own config file
// form, attached policies and a certificate authority.
func exportFixture(t *testing.T, f *fixture) (ns string, routes []*store.Route) {
	t.Helper()
	ctx := t.Context()
	ns = f.namespace(store.GlobalNamespaceID, "Export")
	staff, err := store.Put(ctx, f.st, testActor, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: "staff"},
		PPL: "allow:\n  or:\n    - email:\n        is: alice@example.com\n"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	office, err := store.Put(ctx, f.st, testActor, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: "office"},
		PPL: `[{"deny": {"or": [{"http_method": {"is": "DELETE"}}]}}]`}, 0)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := store.Put(ctx, f.st, testActor, &store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: "internal ca"}, Certificate: caPEM(t, "Internal CA")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	lb := configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_LEAST_REQUEST
	bearer := configpb.BearerTokenFormat_BEARER_TOKEN_FORMAT_IDP_ACCESS_TOKEN
	routes = []*store.Route{
		f.put(testActor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: "app"}, Spec: &configpb.Route{
			From: "https://app.example.com", To: []string{"https://a.internal", "https://b.internal"}, LoadBalancingWeights: []uint32{1, 3},
			Prefix: "/api/", Timeout: durationpb.New(90 * time.Second), AllowWebsockets: true, LoadBalancingPolicy: &lb,
			BearerTokenFormat: &bearer, RegexPriorityOrder: proto.Int64(5), SetRequestHeaders: map[string]string{"X-Team": "blue"},
			AllowUpgrades: &configpb.Route_StringList{Values: []string{"CONNECT-UDP"}},
			PolicyIds:     []string{staff.ID, office.ID}, TlsCustomCaKeyPairId: proto.String(ca.ID),
		}}),
		f.put(testActor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: "old-site"}, Spec: &configpb.Route{
			From: "https://old.example.com", Redirect: &configpb.RouteRedirect{HostRedirect: proto.String("new.example.com"), ResponseCode: proto.Int32(301)},
		}}),
	}
	return ns, routes
}

func TestExportRoundTripsThroughTheImporter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns, stored := exportFixture(t, f)
	viewer := f.user("viewer@example.com", store.RoleViewer, ns)

	for _, format := range []string{"yaml", "json"} {
		res := viewer.Get("/routes/export?" + url.Values{"namespace": {ns}, "format": {format}}.Encode())
		wantStatus(t, res, http.StatusOK)
		if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "routes-Global-Export."+format) {
			t.Errorf("%s: Content-Disposition %q", format, cd)
		}
		if format == "json" {
			var doc struct {
				Routes []map[string]any `json:"routes"`
			}
			if err := json.Unmarshal(res.Body, &doc); err != nil {
				t.Fatalf("the JSON export does not parse: %v\n%s", err, res.Text())
			}
			if len(doc.Routes) != 2 || doc.Routes[0]["name"] != "app" || doc.Routes[0]["load_balancing_policy"] != "least_request" {
				t.Errorf("JSON export %v", doc.Routes)
			}
		}
		file, err := importer.Parse(res.Body)
		if err != nil {
			t.Fatalf("%s: the importer refuses the export: %v\n%s", format, err, res.Text())
		}
		if len(file.Routes) != 2 {
			t.Fatalf("%s: %d routes exported", format, len(file.Routes))
		}
		// Import the export into another namespace: every setting comes
		// back as it was.
		target := f.namespace(store.GlobalNamespaceID, "Copy-"+format)
		if _, err := importer.ImportFile(t.Context(), f.st, file, importer.Options{Namespace: target}); err != nil {
			t.Fatalf("%s: import the export: %v", format, err)
		}
		res2, err := f.st.List(t.Context(), store.KindRoute, store.ListQuery{NamespaceID: target})
		if err != nil {
			t.Fatal(err)
		}
		if len(res2.Objects) != len(stored) {
			t.Fatalf("%s: %d routes imported, want %d", format, len(res2.Objects), len(stored))
		}
		for i, o := range res2.Objects {
			got, want := proto.CloneOf(o.(*store.Route).Spec), proto.CloneOf(stored[i].Spec)
			if o.GetObjectMeta().Name != stored[i].Name {
				t.Fatalf("%s: route %d is %q, want %q", format, i, o.GetObjectMeta().Name, stored[i].Name)
			}
			assertSameAccess(t, f, got, want)
			got.PolicyIds, want.PolicyIds, got.TlsCustomCaKeyPairId, want.TlsCustomCaKeyPairId = nil, nil, nil, nil
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s: route %s changed through export and import (-want +got):\n%s", format, stored[i].Name, diff)
			}
		}
	}
}

// assertSameAccess checks that the imported route's policy holds the rules
// of the original's policies and that its CA is the same certificate.
func assertSameAccess(t *testing.T, f *fixture, got, want *configpb.Route) {
	t.Helper()
	if len(want.PolicyIds) > 0 {
		if len(got.PolicyIds) != 1 {
			t.Fatalf("imported policies %v", got.PolicyIds)
		}
		p, err := store.Get[*store.Policy](t.Context(), f.st, got.PolicyIds[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"alice@example.com", "http_method", "DELETE"} {
			if !strings.Contains(p.PPL, w) {
				t.Errorf("imported PPL lacks %q:\n%s", w, p.PPL)
			}
		}
	}
	if want.TlsCustomCaKeyPairId != nil {
		a, err := store.Get[*store.KeyPair](t.Context(), f.st, *want.TlsCustomCaKeyPairId)
		if err != nil {
			t.Fatal(err)
		}
		b, err := store.Get[*store.KeyPair](t.Context(), f.st, got.GetTlsCustomCaKeyPairId())
		if err != nil {
			t.Fatalf("imported CA: %v", err)
		}
		if strings.TrimSpace(string(a.Certificate)) != strings.TrimSpace(string(b.Certificate)) {
			t.Error("the exported CA is not the stored one")
		}
	}
}

func TestExportLeavesSecretsToManagers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Secrets")
	f.put(testActor, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: "sso"}, Spec: &configpb.Route{
		From: "https://sso.example.com", To: []string{"https://sso.internal"},
		IdpClientId: proto.String("client"), IdpClientSecret: proto.String("s3cret-idp"),
		KubernetesServiceAccountToken: "s3cret-token",
	}})
	target := "/routes/export?namespace=" + ns
	viewer := f.user("viewer@example.com", store.RoleViewer, ns).Get(target)
	wantStatus(t, viewer, http.StatusOK)
	for _, secret := range []string{"s3cret-idp", "s3cret-token"} {
		if strings.Contains(viewer.Text(), secret) {
			t.Errorf("a viewer's export holds %s:\n%s", secret, viewer.Text())
		}
	}
	if !strings.Contains(viewer.Text(), "idp_client_secret, kubernetes_service_account_token left out") {
		t.Errorf("a viewer's export does not say what it left out:\n%s", viewer.Text())
	}
	manager := f.user("manager@example.com", store.RoleManager, ns).Get(target)
	file, err := importer.Parse(manager.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := file.Routes[0].Spec; got.GetIdpClientSecret() != "s3cret-idp" || got.GetKubernetesServiceAccountToken() != "s3cret-token" {
		t.Errorf("a manager's export lost the secrets: %v", got)
	}
}

func TestExportSelectedAndFiltered(t *testing.T) {
	t.Parallel()
	f := newPostgresFixture(t)
	ns, stored := exportFixture(t, f)
	secret := f.namespace(store.GlobalNamespaceID, "Secret")
	hidden := f.route(secret, "hidden", "https://hidden.example.com")
	manager := f.user("manager@example.com", store.RoleManager, ns)
	manager.Get("/routes?namespace=" + ns)

	res := manager.Post("/routes/bulk", url.Values{"action": {"export-json"}, "id": {stored[1].ID}, "namespace": {ns}})
	wantStatus(t, res, http.StatusOK)
	file, err := importer.Parse(res.Body)
	if err != nil {
		t.Fatalf("selected export: %v\n%s", err, res.Text())
	}
	if len(file.Routes) != 1 || file.Routes[0].Name != "old-site" || file.Routes[0].Spec.GetRedirect().GetHostRedirect() != "new.example.com" {
		t.Fatalf("selected export %+v", file.Routes)
	}

	// The search of the list narrows an export of the namespace.
	res = manager.Get("/routes/export?" + url.Values{"namespace": {ns}, "q": {"old"}}.Encode())
	wantStatus(t, res, http.StatusOK)
	if file, err = importer.Parse(res.Body); err != nil || len(file.Routes) != 1 {
		t.Fatalf("filtered export: %v\n%s", err, res.Text())
	}

	// A route the viewer may not see is named and nothing is exported.
	res = manager.Get("/routes/export?" + url.Values{"id": {stored[0].ID, hidden.ID}}.Encode())
	wantStatus(t, res, http.StatusNotFound)
	wantText(t, res, hidden.ID)
	res = manager.Get("/routes/export?namespace=" + secret)
	wantStatus(t, res, http.StatusNotFound)
	res = manager.Get("/routes/export?format=xml&namespace=" + ns)
	wantStatus(t, res, http.StatusBadRequest)

	// An empty namespace exports an empty list.
	empty := f.namespace(ns, "Empty")
	res = manager.Get("/routes/export?namespace=" + empty)
	wantStatus(t, res, http.StatusOK)
	if !strings.Contains(res.Text(), "routes: []") {
		t.Errorf("empty export:\n%s", res.Text())
	}
}
