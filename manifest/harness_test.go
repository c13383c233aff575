package manifest_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

var srv *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }

var key = bytes.Repeat([]byte{3}, store.EncryptionKeySize)

// backends open a fresh empty store of each kind.
var backends = map[string]func(t *testing.T) store.Store{
	"embedded": func(t *testing.T) store.Store { return storetest.Embedded(t, key) },
	"postgres": func(t *testing.T) store.Store {
		st, err := postgres.Open(t.Context(), postgres.Options{URL: srv.NewTestDatabase(t), EncryptionKey: key, Logger: logr.Discard(), MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := st.Close(); err != nil {
				t.Error(err)
			}
		})
		return st
	},
}

// onBackends runs test on a fresh store of every backend, in parallel.
func onBackends(t *testing.T, test func(t *testing.T, c *console)) {
	t.Helper()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, newConsole(t, open(t)))
		})
	}
}

// console is a store with its use cases, called as the apply command
// calls them: an administrator writing with origin import.
type console struct {
	t   *testing.T
	st  store.Store
	app *manage.App
	c   *manage.Caller
}

func newConsole(t *testing.T, st store.Store) *console {
	t.Helper()
	tokens, err := auth.New(t.Context(), auth.Options{Store: st, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	app := manage.New(manage.Options{Store: st, Tokens: tokens, Logger: logr.Discard()})
	c, err := app.System(t.Context(), "apply:test", store.OriginImport)
	if err != nil {
		t.Fatal(err)
	}
	return &console{t: t, st: st, app: app, c: c}
}

// export writes the console's desired state below namespace (a path, ""
// for all) in format.
func (c *console) export(namespace, format string, secrets bool) []byte {
	c.t.Helper()
	doc, err := c.app.Export(c.t.Context(), c.c, manage.ExportInput{Namespace: namespace, Secrets: secrets})
	if err != nil {
		c.t.Fatal(err)
	}
	out, err := encode(doc, format)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// apply applies a document, taking tokens.
func (c *console) apply(doc []byte, prune, dryRun bool) (*manage.ApplyResult, error) {
	c.t.Helper()
	return c.app.Apply(c.t.Context(), c.c, manage.ApplyInput{Content: doc, Prune: prune, DryRun: dryRun, Tokens: true})
}

func (c *console) version() int64 {
	c.t.Helper()
	v, err := c.st.Version(c.t.Context())
	if err != nil {
		c.t.Fatal(err)
	}
	return v
}
