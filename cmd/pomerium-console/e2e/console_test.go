package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/pomerium-console/pomerium-console/api/configpb/configpbconnect"
	"github.com/pomerium-console/pomerium-console/hack/consolebin"
	"github.com/pomerium-console/pomerium-console/hack/loopback"
	"github.com/pomerium-console/pomerium-console/hack/testcert"
)

// stopTimeout bounds how long serve may take to shut down after SIGTERM.
const stopTimeout = 30 * time.Second

// console is one `pomerium-console serve` process and the configuration
// file every command of the run shares.
type console struct {
	t       testing.TB
	config  string
	api     string // the API's host:port
	metrics string
	roots   *x509.CertPool
	logPath string
	proc    *consolebin.Serve
	// opts change how serve runs, each time it is launched.
	opts []consolebin.Option
}

// storeConfig is the configuration of a console's store.
type storeConfig func(t testing.TB, dir string) string

// embeddedStore keeps the store in a file under the run's directory.
func embeddedStore(_ testing.TB, dir string) string {
	return "data_dir: " + filepath.Join(dir, "data") + "\n"
}

// postgresStore keeps the store in a database of its own on the package's
// PostgreSQL server.
func postgresStore(t testing.TB, _ string) string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (Go 1.24+)
	return fmt.Sprintf("database_url: %q\ndatabase_encryption_key: %s\n", pg.NewTestDatabase(t), base64.StdEncoding.EncodeToString(key))
}

// startConsole writes a configuration that points the console at the
// package's Pomerium databroker and starts serve; it returns once the API
// answers. The process is stopped when t ends. opts change how serve runs.
func startConsole(t testing.TB, store storeConfig, opts ...consolebin.Option) *console {
	t.Helper()
	dir := t.TempDir()
	ca := testcert.NewCA(t)
	c := &console{t: t, config: filepath.Join(dir, "config.yaml"), api: loopback.FreeAddr(t), metrics: loopback.FreeAddr(t),
		roots: x509.NewCertPool(), logPath: filepath.Join(dir, "serve.log"), opts: opts}
	c.roots.AppendCertsFromPEM(ca.CertPEM)
	certFile, keyFile := consolebin.WriteServerCert(t, dir, ca)
	config := store(t, dir) + fmt.Sprintf(
		"databroker_service_url: %s\nshared_secret: %s\ngrpc_addr: %s\nbind_addr: %s\nmetrics_addr: %s\ntls_cert_file: %s\ntls_key_file: %s\nlog_level: info\n",
		pomerium.URL(), pomerium.SharedSecretBase64(), c.api, loopback.FreeAddr(t), c.metrics, certFile, keyFile)
	if err := os.WriteFile(c.config, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	c.launch()
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			c.dumpLog()
		}
	})
	return c
}

// launch starts serve with the run's configuration, its output appended to
// the run's log, and returns once it is ready: again after stop, it starts
// the same console over the same store.
func (c *console) launch() {
	c.t.Helper()
	proc, err := consolebin.Start(binary, c.config, c.logPath, c.metrics, c.opts...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.proc = proc
}

// stop sends SIGTERM and wants serve to shut down cleanly (exit 0) in time:
// it releases its databroker lease on the way, which the next run needs.
func (c *console) stop() error { return c.proc.Stop(stopTimeout) }

// dumpLog logs the end of serve's output, for a failing test.
func (c *console) dumpLog() {
	c.t.Logf("end of serve's log:\n%s", consolebin.LogTail(c.logPath, 16<<10))
}

// run runs another command of the console with the run's configuration and
// returns its standard output.
func (c *console) run(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{args[0], "--config", c.config}, args[1:]...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("pomerium-console %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// adminToken prints a recovery token for the Global namespace, as an
// operator would to make the first API calls.
func (c *console) adminToken() string {
	c.t.Helper()
	lines := strings.Split(strings.TrimSpace(c.run("generate-recovery-token")), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func (c *console) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: c.roots, MinVersion: tls.VersionTLS12}
}

// grpcConn dials the API with gRPC, over TLS, sending token on every call.
func (c *console) grpcConn(token string) *grpc.ClientConn {
	c.t.Helper()
	conn, err := grpc.NewClient(c.api, grpc.WithTransportCredentials(credentials.NewTLS(c.tlsConfig())),
		grpc.WithPerRPCCredentials(consolebin.Bearer(token)))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = conn.Close() }) // nothing is left to fail at the end of a test
	return conn
}

// configService is a Connect client (binary protobuf over HTTP) of
// pomerium.config.ConfigService, as Pomerium's Terraform provider calls it.
func (c *console) configService(token string) configpbconnect.ConfigServiceClient {
	transport := &http.Transport{TLSClientConfig: c.tlsConfig(), ForceAttemptHTTP2: true}
	c.t.Cleanup(transport.CloseIdleConnections)
	return configpbconnect.NewConfigServiceClient(&http.Client{Transport: transport}, "https://"+c.api,
		connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				req.Header().Set("Authorization", "Pomerium "+token)
				return next(ctx, req)
			}
		})))
}
