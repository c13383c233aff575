package storetest

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// Scene is what WriteScene wrote: the ids of its objects by name.
type Scene struct {
	Namespaces, Policies, Routes, KeyPairs map[string]string
}

// WriteScene writes, through the API origin, desired state with one of
// everything a console holds, all of it valid for compilation: a namespace
// tree three deep, enforced and optional policies at several levels
// (including a description set to "" explicitly), routes that use policies
// of their own and of a namespace above, key pairs with and without a
// private key used by a route and by the settings, settings with secrets,
// routes with secrets and explicit fields, service accounts with and
// without a chosen user, and permissions of users and groups. Tests of
// backups, exports and compilation start from it.
func WriteScene(t testing.TB, s store.Desired) *Scene {
	t.Helper()
	ctx := context.Background()
	actor := store.Actor{Subject: "scene", Origin: store.OriginAPI}
	sc := &Scene{Namespaces: map[string]string{"Global": store.GlobalNamespaceID},
		Policies: map[string]string{}, Routes: map[string]string{}, KeyPairs: map[string]string{}}
	write := func(obj store.Object) string {
		t.Helper()
		got, err := s.Apply(ctx, actor, &store.PutOp{Object: obj})
		if err != nil {
			t.Fatalf("write %s %s: %v", obj.Kind(), obj.GetObjectMeta().Name, err)
		}
		return got[0].GetObjectMeta().ID
	}
	for _, ns := range []struct{ name, parent string }{{"Engineering", "Global"}, {"Platform", "Engineering"}, {"Sales", "Global"}} {
		sc.Namespaces[ns.name] = write(newNamespace(sc.Namespaces[ns.parent], ns.name))
	}
	wildcard := newCertificate(t, "*.example.com")
	ca := newCertificate(t, "Internal CA")
	sc.KeyPairs["wildcard"] = write(newKeyPair(store.GlobalNamespaceID, "wildcard", wildcard.certPEM, wildcard.pkcs8PEM(t)))
	sc.KeyPairs["internal-ca"] = write(newKeyPair(sc.Namespaces["Engineering"], "internal-ca", ca.certPEM, nil))
	policies := []*store.Policy{
		{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "baseline"}, Enforced: true,
			PPL: "deny:\n  or:\n    - email:\n        is: blocked@example.com\n", Explanation: "blocked", Remediation: "ask IT"},
		{ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Engineering"], Name: "engineers"},
			PPL: "allow:\n  or:\n    - groups:\n        has: engineering\n", Explicit: []string{"pomerium.config.Policy:description"}},
		{ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Platform"], Name: "on-call"}, Enforced: true, Description: "only on-call",
			PPL: "allow:\n  or:\n    - groups:\n        has: on-call\n"},
		{ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Sales"], Name: "sales"},
			PPL: "allow:\n  or:\n    - domain:\n        is: example.com\n"},
	}
	for _, p := range policies {
		sc.Policies[p.Name] = write(p)
	}
	routes := []*store.Route{
		{ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Engineering"], Name: "app"}, Spec: &configpb.Route{
			From: "https://app.example.com", To: []string{"http://app.internal:8080"}, PolicyIds: []string{sc.Policies["engineers"]},
			AllowWebsockets: true, Timeout: durationpb.New(30 * time.Second), SetRequestHeaders: map[string]string{"X-Team": "eng"},
			TlsCustomCaKeyPairId: new(sc.KeyPairs["internal-ca"]), IdpClientId: new("app-client"), IdpClientSecret: new("app-secret"),
		}, Explicit: []string{"pomerium.dashboard.Route:prefix"}},
		{ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Platform"], Name: "grafana"}, Spec: &configpb.Route{
			From: "https://grafana.example.com", To: []string{"http://grafana.internal:3000"}, Prefix: "/",
			PolicyIds: []string{sc.Policies["engineers"]}, PassIdentityHeaders: new(true),
		}},
		{ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Sales"], Name: "crm"}, Spec: &configpb.Route{
			From: "https://crm.example.com", Redirect: &configpb.RouteRedirect{HostRedirect: new("crm.example.net"), HttpsRedirect: new(true)},
			PolicyIds: []string{sc.Policies["sales"]},
		}},
	}
	for _, r := range routes {
		sc.Routes[r.Name] = write(r)
	}
	write(&store.Settings{ObjectMeta: store.ObjectMeta{ID: store.SettingsID, NamespaceID: store.GlobalNamespaceID}, Spec: &configpb.Settings{
		AuthenticateServiceUrl: new("https://authenticate.example.com"), CertificateKeyPairIds: []string{sc.KeyPairs["wildcard"]},
		CookieSecret: new("V2h5IGFyZSB5b3UgcmVhZGluZyB0aGlzPyBHby4uLi4="), LogLevel: new("info"),
	}, Explicit: []string{"pomerium.dashboard.Settings:codec_type"}})
	expires := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	write(&store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "service account ci"}, UserID: "ci", Description: "CI"})
	write(&store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Engineering"], Name: "service account deploy"},
		UserID: "deploy@" + sc.Namespaces["Engineering"] + ".pomerium", ExpiresAt: expires})
	robot := write(&store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Sales"], Name: "service account robot"}})
	for _, p := range []*store.NamespacePermission{
		newPermission(sc.Namespaces["Engineering"], store.SubjectGroup, "engineering", store.RoleManager),
		newPermission(sc.Namespaces["Platform"], store.SubjectUser, "alice@example.com", store.RoleAdmin),
		newPermission(sc.Namespaces["Sales"], store.SubjectUser, robot, store.RoleViewer),
	} {
		write(p)
	}
	return sc
}
