package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pomerium-console/pomerium-console/hack/consolebin"
	"github.com/pomerium-console/pomerium-console/hack/loopback"
	"github.com/pomerium-console/pomerium-console/hack/pomeriumtest"
)

// world is what a run drives: Pomerium's own databroker, and one serve
// process over a store seeded with the run's routes, both started by the
// run in a directory of its own.
type world struct {
	dir     string
	bin     string
	config  string
	api     string // the API's host:port (gRPC and Connect)
	metrics string // the metrics listener's host:port (/metrics, /readyz)
	token   string
	tls     *tls.Config // what the clients trust: the run's own certificate
	broker  *pomeriumtest.Databroker
	serve   *consolebin.Serve
}

// startWorld starts the databroker, seeds the store with o.Routes routes
// through `import`, issues a token and starts serve; it returns once serve
// has finished its first pass, so a run measures a console at rest.
func startWorld(ctx context.Context, o options, progress io.Writer) (w *world, err error) {
	w = &world{bin: o.Binary}
	if w.dir, err = os.MkdirTemp("", "pomerium-console-load-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, w.close())
			w = nil
		}
	}()
	if w.broker, err = pomeriumtest.Start(ctx); err != nil {
		return w, fmt.Errorf("start Pomerium's databroker: %w", err)
	}
	addrs := make([]string, 3)
	for i := range addrs {
		port, err := loopback.FreePort()
		if err != nil {
			return w, err
		}
		addrs[i] = "127.0.0.1:" + strconv.Itoa(port)
	}
	w.api, w.metrics = addrs[0], addrs[1]
	storeLines := "data_dir: " + filepath.Join(w.dir, "data") + "\n"
	if o.DatabaseURL != "" {
		storeLines = fmt.Sprintf("database_url: %q\ndatabase_encryption_key: %s\n", o.DatabaseURL, o.DatabaseKey)
	}
	certFile, keyFile, clientTLS, err := writeCert(w.dir)
	if err != nil {
		return w, err
	}
	w.tls = clientTLS
	w.config = filepath.Join(w.dir, "config.yaml")
	cfg := storeLines + fmt.Sprintf("databroker_service_url: %s\nshared_secret: %s\ngrpc_addr: %s\nmetrics_addr: %s\nbind_addr: %s\ntls_cert_file: %s\ntls_key_file: %s\nlog_level: warn\n",
		w.broker.URL(), w.broker.SharedSecretBase64(), w.api, w.metrics, addrs[2], certFile, keyFile)
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		return w, err
	}

	fmt.Fprintf(progress, "load: importing %d routes\n", o.Routes)
	source := filepath.Join(w.dir, "routes.yaml")
	if err := writeRoutes(source, o.Routes); err != nil {
		return w, err
	}
	if _, err := w.command(ctx, "import", "--config", w.config, "--log-level", "error", source); err != nil {
		return w, err
	}
	tokenFile := filepath.Join(w.dir, "token")
	if _, err := w.command(ctx, "generate-recovery-token", "--config", w.config, "--ttl", "24h", "--out", tokenFile); err != nil {
		return w, err
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return w, err
	}
	w.token = strings.TrimSpace(string(token))

	fmt.Fprintln(progress, "load: starting serve and waiting for its first pass")
	start := time.Now()
	if w.serve, err = consolebin.Start(w.bin, w.config, w.logPath(), w.metrics); err != nil {
		return w, err
	}
	if err := w.until(ctx, 30*time.Minute, "serve's first pass", func() (bool, error) {
		m, err := w.scrape()
		if err != nil {
			return false, nil // not listening yet
		}
		return m["pomerium_console_reconcile_last_success_timestamp_seconds"] > 0, nil
	}); err != nil {
		return w, err
	}
	fmt.Fprintf(progress, "load: serve ready with %d routes after %s\n", o.Routes, time.Since(start).Round(100*time.Millisecond))
	return w, nil
}

// writeRoutes writes n routes as an open-source Pomerium configuration,
// which `import` reads.
func writeRoutes(path string, n int) error {
	var b bytes.Buffer
	b.WriteString("routes:\n")
	for i := range n {
		fmt.Fprintf(&b, "- from: https://app%d.example.com\n  to: http://app%d.internal:8080\n  prefix: /\n  pass_identity_headers: true\n", i, i)
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// command runs one of the console's commands to completion and returns its
// standard output; a failure carries its standard error.
func (w *world) command(ctx context.Context, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", w.bin, args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// until polls cond every 100 ms until it holds, serve exits, ctx ends or
// within passes.
func (w *world) until(ctx context.Context, within time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-w.serve.Done():
			return fmt.Errorf("%s: serve exited (%v); its log: %s", what, w.serve.Err(), w.logTail())
		case <-deadline.C:
			return fmt.Errorf("%s: not within %s", what, within)
		case <-tick.C:
		}
	}
}

// scrape reads serve's metrics: every sample without labels, and those
// with labels summed under their family's name.
func (w *world) scrape() (map[string]float64, error) {
	res, err := http.Get("http://" + w.metrics + "/metrics")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close() //nolint:errcheck // read to the end below
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %s", res.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		return nil, fmt.Errorf("/metrics: %w", err)
	}
	out := make(map[string]float64, len(families))
	for name, f := range families {
		for _, m := range f.GetMetric() {
			switch {
			case m.Gauge != nil:
				out[name] += m.GetGauge().GetValue()
			case m.Counter != nil:
				out[name] += m.GetCounter().GetValue()
			case m.Untyped != nil:
				out[name] += m.GetUntyped().GetValue()
			}
		}
	}
	return out, nil
}

// logPath is where serve's output goes.
func (w *world) logPath() string { return filepath.Join(w.dir, "serve.log") }

// logTail is the end of serve's log, for errors.
func (w *world) logTail() string { return consolebin.LogTail(w.logPath(), 4<<10) }

// close stops serve (SIGTERM, then SIGKILL after 30 s) and the databroker
// and removes the run's directory.
func (w *world) close() error {
	var errs []error
	if w.serve != nil {
		errs = append(errs, w.serve.Stop(30*time.Second))
	}
	if w.broker != nil {
		errs = append(errs, w.broker.Stop())
	}
	errs = append(errs, os.RemoveAll(w.dir))
	return errors.Join(errs...)
}
