package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pomerium-console/pomerium-console/hack/consolebin"
	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
)

var (
	// pomerium is Pomerium's databroker, which each test has to itself.
	pomerium *pomeriumtest.Databroker
	// pg serves the databases of the runs with the PostgreSQL store.
	pg *pgtest.Server
	// binary is the console built for the package's tests.
	binary string
)

func TestMain(m *testing.M) { os.Exit(pomeriumtest.Main(withConsole{m}, &pomerium)) }

// withConsole builds the console and runs the tests with the package's
// PostgreSQL server.
type withConsole struct{ m *testing.M }

func (w withConsole) Run() int {
	dir, err := os.MkdirTemp("", "pomerium-console-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory; nothing to do about it
	binary = filepath.Join(dir, "pomerium-console")
	if err := consolebin.Build(binary); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	return pgtest.Main(w.m, &pg)
}
