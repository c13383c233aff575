package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// Env gives the suite access to one backend's storage.
type Env interface {
	// Open opens a store on this Env's storage (created empty on the first
	// call; later calls reopen the same data, as after a restart) with the
	// given 32-byte encryption key. The suite closes every store it opens,
	// some before the test ends; an Env that also closes them in a cleanup
	// of its own relies on Close being safe to call twice.
	Open(t *testing.T, key []byte) (store.Store, error)
	// BreakFeed drops the change feed's underlying connection(s) of every
	// open store (e.g. terminates PostgreSQL backends). Backends without a
	// connection return false and the subtests that need it are skipped with
	// a message.
	BreakFeed(t *testing.T) bool
	// Exec runs a statement on the storage directly, bypassing the store,
	// as the database's administrator could; query takes $1-style
	// placeholders. It fails the test on an error.
	Exec(t *testing.T, query string, args ...any)
}

// Run runs the whole suite; newEnv returns fresh, empty storage for each call.
// Every subtest calls newEnv itself and runs in parallel with the others, so
// newEnv must be safe for concurrent use.
func Run(t *testing.T, newEnv func(t *testing.T) Env) {
	groups := []struct {
		name string
		run  func(*testing.T, newEnvFunc)
	}{
		{"Namespaces", testNamespaces},
		{"Objects", testObjects},
		{"Settings", testSettings},
		{"Policies", testPolicies},
		{"Routes", testRoutes},
		{"Explicit", testExplicit},
		{"KeyPairs", testKeyPairs},
		{"Clusters", testClusters},
		{"DataSources", testDataSources},
		{"ServiceAccounts", testServiceAccounts},
		{"Permissions", testPermissions},
		{"Origins", testOrigins},
		{"Versions", testVersions},
		{"List", testList},
		{"Activity", testActivity},
		{"Chain", testChain},
		{"Feed", testFeed},
		{"Restart", testRestart},
		{"Concurrency", testConcurrency},
		{"Status", testStatus},
		{"StatusFeed", testStatusFeed},
		{"Identity", testIdentity},
		{"Requests", testRequests},
		{"Backup", testBackup},
		{"ResolveNamespace", func(t *testing.T, newEnv newEnvFunc) { subtest(t, "PathsAndIDs", newEnv, testResolveNamespace) }},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, newEnv)
		})
	}
}

type newEnvFunc = func(t *testing.T) Env

// Encryption keys of the suite. They are fixed so that a failure can be
// reproduced byte for byte.
var (
	testKey  = bytes.Repeat([]byte{0x5a}, 32)
	otherKey = bytes.Repeat([]byte{0xa5}, 32)
)

// Actors of the suite. Subjects differ so that activity queries can tell them
// apart.
var (
	apiActor  = store.Actor{Subject: "alice@example.com", Origin: store.OriginAPI}
	uiActor   = store.Actor{Subject: "bob@example.com", Origin: store.OriginUI}
	kubeActor = store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes}
	importer  = store.Actor{Subject: "import", Origin: store.OriginImport}
)

// fixture is one subtest's storage and the store currently open on it.
type fixture struct {
	t   *testing.T
	ctx context.Context
	env Env
	s   store.Store
}

// subtest runs body in a parallel subtest on fresh storage.
func subtest(t *testing.T, name string, newEnv newEnvFunc, body func(t *testing.T, f *fixture)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		f := &fixture{t: t, ctx: t.Context(), env: newEnv(t)}
		f.s = f.open(testKey)
		body(t, f)
	})
}

// open opens another store on the fixture's storage; the test's cleanup
// closes it unless the test already did.
func (f *fixture) open(key []byte) store.Store {
	f.t.Helper()
	s, err := f.env.Open(f.t, key)
	if err != nil {
		f.t.Fatalf("open store: %v", err)
	}
	c := &closeOnce{Store: s}
	f.t.Cleanup(func() {
		if err := c.Close(); err != nil {
			f.t.Errorf("close store: %v", err)
		}
	})
	return c
}

// reopen closes the fixture's store and opens it again with key, as a
// restarted process would.
func (f *fixture) reopen(key []byte) {
	f.t.Helper()
	if err := f.s.Close(); err != nil {
		f.t.Fatalf("close store: %v", err)
	}
	f.s = f.open(key)
}

// closeOnce lets a test close a store explicitly while its cleanup still
// closes every store the test left open, without closing any one twice.
type closeOnce struct {
	store.Store
	once sync.Once
	err  error
}

func (c *closeOnce) Close() error {
	c.once.Do(func() { c.err = c.Store.Close() })
	return c.err
}
