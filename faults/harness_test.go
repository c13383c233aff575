package faults

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/pomerium-console/pomerium-console/hack/consolebin"
	"github.com/pomerium-console/pomerium-console/hack/loopback"
	"github.com/pomerium-console/pomerium-console/hack/pgtest"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/postgres"
)

var (
	// pomerium is Pomerium's own databroker, which each scenario takes for
	// itself (Exclusive).
	pomerium *pomeriumtest.Databroker
	// binary is the console, built once for the package.
	binary string
)

func TestMain(m *testing.M) { os.Exit(pomeriumtest.Main(withConsole{m}, &pomerium)) }

// withConsole builds the console before the tests run.
type withConsole struct{ m *testing.M }

func (w withConsole) Run() int {
	dir, err := os.MkdirTemp("", "pomerium-console-faults-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory; nothing to do about it
	binary = filepath.Join(dir, "pomerium-console")
	if err := consolebin.Build(binary); err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	return w.m.Run()
}

// database is a PostgreSQL server of one scenario's own, which it may
// restart or crash without disturbing another, and the console's database
// on it. The server syncs every commit (synchronous_commit on), as a
// production server does: what it acknowledged survives a crash.
type database struct {
	server *pgtest.Server
	url    string
	key    []byte
}

func newDatabase(t *testing.T) *database {
	t.Helper()
	if os.Getenv(pgtest.URLEnv) != "" {
		t.Fatalf("%s names a server the fault scenarios may not restart; unset it", pgtest.URLEnv)
	}
	server := pgtest.StartForTest(t, pgtest.Options{Fsync: true})
	url, err := server.NewDatabase(t.Context(), "console")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (Go 1.24+)
	return &database{server: server, url: url, key: key}
}

// open opens the store as another console would, to check it.
func (d *database) open(t *testing.T) store.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), postgres.Options{URL: d.url, EncryptionKey: d.key, Logger: testr.New(t), MaxConns: 2})
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the store: %v", err)
		}
	})
	return st
}

// console is one serve process on a scenario's store, writing to a
// databroker.
type console struct {
	t       *testing.T
	name    string
	config  string
	api     string
	metrics string
	roots   *x509.CertPool
	logPath string
	cmd     *consolebin.Serve // nil until started
	// done is closed once the process has exited, with err what it
	// exited with.
	done <-chan struct{}
	err  error
}

// startConsole starts serve on db, writing to the package's Pomerium
// databroker, and returns once it is ready.
func startConsole(t *testing.T, name string, db *database) *console {
	t.Helper()
	c := newConsole(t, name, fmt.Sprintf("database_url: %q\ndatabase_encryption_key: %s\n", db.url, base64.StdEncoding.EncodeToString(db.key)),
		pomerium.URL(), pomerium.SharedSecretBase64())
	c.start()
	return c
}

// newConsole writes the configuration of a serve process named name (in
// the scenario's logs) without starting it: storeConfig holds the keys of
// its store (database_url and database_encryption_key, or data_dir), and
// it writes to the databroker at brokerURL, whose shared secret is
// secret (base64). It serves the API over TLS with a certificate its
// clients trust (dial), and is stopped when t ends if it runs.
func newConsole(t *testing.T, name, storeConfig, brokerURL, secret string) *console {
	t.Helper()
	dir := t.TempDir()
	ca := testcert.NewCA(t)
	c := &console{t: t, name: name, config: filepath.Join(dir, "config.yaml"), api: loopback.FreeAddr(t),
		metrics: loopback.FreeAddr(t), roots: x509.NewCertPool(), logPath: filepath.Join(dir, "serve.log")}
	c.roots.AppendCertsFromPEM(ca.CertPEM)
	certFile, keyFile := writeCertificate(t, dir, ca)
	config := storeConfig + fmt.Sprintf("databroker_service_url: %s\nshared_secret: %s\n", brokerURL, secret) +
		fmt.Sprintf("grpc_addr: %s\nbind_addr: %s\nmetrics_addr: %s\n", c.api, loopback.FreeAddr(t), c.metrics) +
		fmt.Sprintf("tls_cert_file: %s\ntls_key_file: %s\nlog_level: info\nlog_format: json\n", certFile, keyFile)
	if err := os.WriteFile(c.config, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd == nil {
			return
		}
		if err := c.stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			c.dumpLog()
		}
	})
	return c
}

// start runs serve and returns once it is ready (/readyz answers 200).
func (c *console) start() {
	c.t.Helper()
	proc, err := consolebin.Start(binary, c.config, c.logPath, c.metrics)
	if err != nil {
		c.t.Fatalf("serve %s: %v", c.name, err)
	}
	done := make(chan struct{})
	c.cmd, c.done, c.err = proc, done, nil
	go func() {
		<-proc.Done()
		c.err = proc.Err()
		close(done)
	}()
}

// kill ends serve with SIGKILL, as a lost host or the OOM killer would: it
// releases nothing.
func (c *console) kill() {
	c.t.Helper()
	if err := c.cmd.Kill(); err != nil {
		c.t.Fatalf("serve %s: %v", c.name, err)
	}
}

// stop ends serve with SIGTERM and wants a clean exit; a console killed
// is left as it is.
func (c *console) stop() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	if err := c.cmd.Stop(30 * time.Second); err != nil {
		return fmt.Errorf("serve %s: %w", c.name, err)
	}
	return nil
}

// dumpLog logs the requests serve answered Internal and the end of its
// log, for a failing scenario: the tail may not reach back to them.
func (c *console) dumpLog() {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		c.t.Logf("serve %s log unreadable: %v", c.name, err)
		return
	}
	var failed []string
	for line := range strings.Lines(string(b)) {
		if strings.Contains(line, `"msg":"request failed"`) && len(failed) < 20 {
			failed = append(failed, line)
		}
	}
	if len(failed) > 0 {
		c.t.Logf("requests serve %s failed:\n%s", c.name, strings.Join(failed, ""))
	}
	c.t.Logf("end of serve %s's log:\n%s", c.name, consolebin.LogTail(c.logPath, 16<<10))
}

// adminToken prints a recovery token for the Global namespace, as an
// operator would.
func (c *console) adminToken() string {
	c.t.Helper()
	out, err := exec.CommandContext(c.t.Context(), binary, "generate-recovery-token", "--config", c.config).Output()
	if err != nil {
		c.t.Fatalf("generate-recovery-token: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// dial opens a gRPC connection to the API, as the official Go client does:
// TLS, and the token on every call.
func (c *console) dial(token string) *grpc.ClientConn {
	c.t.Helper()
	conn, err := grpc.NewClient(c.api, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: c.roots, MinVersion: tls.VersionTLS12})),
		grpc.WithPerRPCCredentials(consolebin.Bearer(token)))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = conn.Close() }) // nothing is left to fail at the end of a test
	return conn
}

// leaseHeld reads whether the console holds the default cluster's writer
// lease, from its metrics; false when it does not answer.
func (c *console) leaseHeld() bool {
	res, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + c.metrics + "/metrics")
	if err != nil {
		return false
	}
	defer res.Body.Close() //nolint:errcheck // read to the end or failed; nothing to do either way
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		series, value, ok := strings.Cut(sc.Text(), " ")
		if ok && strings.HasPrefix(series, "pomerium_console_reconcile_lease_held{") && strings.Contains(series, `cluster="default"`) {
			return value == "1"
		}
	}
	return false
}

// writeCertificate gives a console a certificate for 127.0.0.1 issued by
// ca, which its clients trust (see consolebin.WriteServerCert).
func writeCertificate(t *testing.T, dir string, ca *testcert.CA) (certFile, keyFile string) {
	t.Helper()
	return consolebin.WriteServerCert(t, dir, ca)
}

// waitUntil returns at the moment a scenario planned something for, or
// fails t if it ends first.
func waitUntil(t *testing.T, at time.Time) {
	t.Helper()
	timer := time.NewTimer(time.Until(at))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.Context().Done():
		t.Fatalf("the test ended before %v", at)
	}
}

// ms formats a duration in milliseconds, for the figures.
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + " ms" }
