package exposure_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/server/api"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// TestNoOutputHoldsASecret runs the console's surfaces over one store with
// the reconciler, writes a secret of every kind the console keeps (the
// settings' IdP client secret, shared secret and cookie secret, a key
// pair's private key, a cluster's databroker shared secret, a data
// source's headers, the default cluster's shared secret, a service
// account's token, which callers then use), and captures everything the
// console says meanwhile: every log line, every API answer (reads, lists,
// the activity log and refusals) as a viewer of Global, as a service
// account and as a caller with a forged token or none, every page and
// export of the web console as an admin and as a viewer, refused sign-ins
// and every activity entry. None holds any
// secret, as it is, in base64 or in hex.
func TestNoOutputHoldsASecret(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	st := storetest.Embedded(t, randomBytes(32))
	brokerSecret := randomBytes(32)
	env := webtest.New(t, st, webtest.Options{Logger: logs.logger(), SharedSecret: brokerSecret})
	apiServer := httptest.NewTLSServer(api.New(api.Options{App: env.App, Auth: env.Auth, Logger: logs.logger()}).Handler())
	t.Cleanup(apiServer.Close)
	s := &surfaces{t: t, web: env, api: apiServer, logs: logs}
	ctx := t.Context()
	setup := store.Actor{Subject: "setup", Origin: store.OriginAPI}

	secrets := []storetest.Secret{{Name: "default cluster shared secret", Value: brokerSecret}}
	add := func(name string, v []byte) string {
		secrets = append(secrets, storetest.Secret{Name: name, Value: v})
		return string(v)
	}
	idp := add("settings idp_client_secret", []byte("idp-secret-"+uuid.NewString()))
	shared := base64.StdEncoding.EncodeToString([]byte(add("settings shared_secret", randomBytes(32))))
	cookie := base64.StdEncoding.EncodeToString([]byte(add("settings cookie_secret", randomBytes(32))))
	if _, err := store.Put(ctx, st, setup, &store.Settings{Spec: &configpb.Settings{
		IdpClientSecret: &idp, SharedSecret: &shared, CookieSecret: &cookie, IdpProvider: new("oidc"),
		IdpClientId: new("console"), AuthenticateServiceUrl: new("https://authenticate.example.com"),
	}}, 0); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := testcert.SelfSigned(t, []string{"app.example.com"}, time.Now().Add(time.Hour))
	add("key pair private key", keyPEM)
	add("key pair private key (PEM body)", pemBody(keyPEM))
	keyPair, err := store.Put(ctx, st, setup, &store.KeyPair{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "app"},
		Certificate: certPEM, PrivateKey: keyPEM}, 0)
	if err != nil {
		t.Fatal(err)
	}
	cluster := &store.Cluster{ObjectMeta: store.ObjectMeta{ID: uuid.NewString(), Name: "eu"},
		DatabrokerServiceURL: "https://databroker.eu.example.com", SharedSecret: []byte(add("cluster shared secret", randomBytes(32)))}
	if _, err := st.Apply(ctx, setup,
		&store.PutOp{Object: &store.Namespace{ObjectMeta: store.ObjectMeta{ID: cluster.ID, NamespaceID: store.GlobalNamespaceID, Name: "eu"}, Cluster: true}},
		&store.PutOp{Object: cluster}); err != nil {
		t.Fatal(err)
	}
	header := add("data source header", []byte("header-secret-"+uuid.NewString()))
	dataSource, err := store.Put(ctx, st, setup, &store.DataSource{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID},
		URL: "https://directory.example.com/users.json", RecordType: "example.com/User", ForeignKey: "id",
		Headers: map[string]string{"Authorization": "Bearer " + header}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := store.Put(ctx, st, setup, &store.ServiceAccount{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "automation"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	env.Grant(store.RoleViewer, store.GlobalNamespaceID, store.SubjectUser, sa.ID)
	token, err := env.Auth.IssueServiceAccountToken(ctx, sa)
	if err != nil {
		t.Fatal(err)
	}
	add("service account token", []byte(token))
	add("service account token signature", []byte(token[strings.LastIndex(token, ".")+1:]))
	const viewer = "viewer@example.com"
	env.Grant(store.RoleViewer, store.GlobalNamespaceID, store.SubjectUser, viewer)

	// The reconciler compiles and logs meanwhile.
	loop := reconcile.New(reconcile.Options{Store: st, Client: webtest.Databroker(t), Instance: "exposure", Logger: logs.logger()})
	loopCtx, stopLoop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = loop.Run(loopCtx) }()
	t.Cleanup(func() { stopLoop(); <-done })
	waitForStatus(t, st, store.KindSettings, store.SettingsID)

	// said is everything the console said, by where it said it.
	type output struct{ where, body string }
	var said []output
	record := func(where, body string) { said = append(said, output{where, body}) }
	reads := map[string]string{
		"pomerium.dashboard.SettingsService/GetSettings":                               `{}`,
		"pomerium.dashboard.KeyChainService/ListKeyPairs":                              fmt.Sprintf(`{"namespaceId":%q}`, store.GlobalNamespaceID),
		"pomerium.dashboard.KeyChainService/GetKeyPair":                                fmt.Sprintf(`{"id":%q}`, keyPair.ID),
		"pomerium.dashboard.ClustersService/ListClusters":                              `{}`,
		"pomerium.dashboard.ClustersService/GetCluster":                                fmt.Sprintf(`{"id":%q}`, cluster.ID),
		"pomerium.dashboard.ExternalDataSourceService/ListExternalDataSources":         `{}`,
		"pomerium.dashboard.ExternalDataSourceService/GetExternalDataSource":           fmt.Sprintf(`{"id":%q}`, dataSource.ID),
		"pomerium.dashboard.PomeriumServiceAccountService/ListPomeriumServiceAccounts": fmt.Sprintf(`{"namespaceId":%q}`, store.GlobalNamespaceID),
		"pomerium.dashboard.ActivityLogService/ListActivityLogEntries":                 `{}`,
		"pomerium.config.ConfigService/ListSettings":                                   `{}`,
		"pomerium.config.ConfigService/ListKeyPairs":                                   `{}`,
		"pomerium.config.ConfigService/ListServiceAccounts":                            `{}`,
	}
	answered := 0
	for proc, body := range reads {
		for who, header := range map[string]http.Header{
			"viewer":           {"X-Pomerium-Jwt-Assertion": {env.Assertion(viewer)}},
			"service account":  {"Authorization": {"Pomerium " + token}},
			"forged token":     {"Authorization": {"Pomerium " + token + "x"}},
			"no credentials":   {},
			"admin (activity)": {"X-Pomerium-Jwt-Assertion": {env.Assertion(webtest.Admin)}},
		} {
			if who == "admin (activity)" && !strings.Contains(proc, "Activity") {
				continue // an admin may read secrets through the API; the activity log holds none for anyone
			}
			status, got := callAs(t, apiServer, proc, body, header)
			if status == http.StatusOK {
				answered++
			}
			record(fmt.Sprintf("API %s as %s: %d", proc, who, status), got)
		}
	}
	if answered < len(reads) {
		t.Fatalf("only %d API calls answered: the test reads too little", answered)
	}
	// Refusals that name what they refuse.
	for _, body := range []string{`{"keyPair":{"namespaceId":"` + store.GlobalNamespaceID + `","name":"bad","certificate":"` + base64.StdEncoding.EncodeToString(certPEM) + `","key":"` + base64.StdEncoding.EncodeToString([]byte("-----BEGIN PRIVATE KEY-----\n"+idp+"\n-----END PRIVATE KEY-----\n")) + `"}}`} {
		_, got := s.call(webtest.Admin, "KeyChainService/CreateKeyPair", body)
		record("API CreateKeyPair refused", got)
	}

	// The web console, as the admin who may open everything, and as a
	// viewer. The admin's page of a data source is left out: its form shows
	// the headers to the admins of the cluster's namespace, who may change
	// them.
	for who, b := range map[string]*webtest.Browser{"admin": env.User(webtest.Admin), "viewer": env.User(viewer)} {
		for _, path := range []string{
			"/settings", "/certificates", "/certificates/" + keyPair.ID, "/clusters", "/clusters/" + cluster.ID,
			"/data-sources", "/data-sources/" + dataSource.ID, "/service-accounts", "/service-accounts/" + sa.ID,
			"/activity", "/status", "/no-such-page",
			"/activity/export?" + url.Values{"format": {"json"}}.Encode(),
			"/routes/export?" + url.Values{"namespace": {store.GlobalNamespaceID}, "format": {"yaml"}}.Encode(),
		} {
			if who == "admin" && path == "/data-sources/"+dataSource.ID {
				continue
			}
			res := b.Get(path)
			record(fmt.Sprintf("page %s as %s: %d", path, who, res.Status), res.Text())
		}
	}
	// Sign-in attempts with the secrets as tokens, which the refusal and
	// the log must not echo.
	anon := env.Anonymous()
	for _, tok := range []string{token + "x", idp} {
		page := anon.Get("/signin")
		res := anon.Post("/signin", url.Values{"token": {tok}, "csrf_token": {page.CSRF()}})
		record(fmt.Sprintf("sign-in refused: %d", res.Status), res.Text())
	}

	// Every activity entry, read from the store.
	entries, err := st.Activity(ctx, store.ActivityQuery{NamespaceID: store.GlobalNamespaceID, Recursive: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries.Entries) < 5 {
		t.Fatalf("%d activity entries: the writes were not logged", len(entries.Entries))
	}
	for _, e := range entries.Entries {
		record(fmt.Sprintf("activity entry %d", e.ID), fmt.Sprintf("%+v", *e))
	}
	record("logs", logs.String())
	if !strings.Contains(logs.String(), "signed") && !strings.Contains(logs.String(), "reconcil") {
		t.Fatalf("the logs say nothing of the scenario: the test reads no logs:\n%s", logs.String())
	}
	for _, o := range said {
		for _, name := range storetest.FindPlaintext([]byte(o.body), secrets) {
			t.Errorf("%s holds the %s", o.where, name)
		}
	}
}

// callAs calls the API with Connect's JSON and the given headers, and
// returns the answer's status and body.
func callAs(t *testing.T, srv *httptest.Server, procedure, body string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/"+procedure, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return b
}

// pemBody is the first line of a PEM block's base64 body, which a
// rendering that drops the armour would still show.
func pemBody(p []byte) []byte {
	for _, l := range strings.Split(string(p), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			return []byte(l)
		}
	}
	return p
}
