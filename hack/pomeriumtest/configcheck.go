package pomeriumtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// CheckOptions configure [Databroker.Check].
type CheckOptions struct {
	// Settle is how long nothing may change before the routes are built;
	// zero means configcheck's default (2 s).
	Settle time.Duration
	// Timeout bounds the initial sync and the settling; zero means
	// configcheck's default (30 s).
	Timeout time.Duration
}

// Check runs configcheck -strict -rego against the databroker: Pomerium's
// own databroker config source, with validation on, builds the routes from
// the records and compiles each route's policy with Pomerium's authorize
// evaluator. The Report holds what it printed and how it exited; an error
// means it could not run or its output could not be read.
func (d *Databroker) Check(ctx context.Context, opts CheckOptions) (*Report, error) {
	args := []string{"-addr", d.Addr(), "-strict", "-rego"}
	if opts.Settle > 0 {
		args = append(args, "-settle", opts.Settle.String())
	}
	if opts.Timeout > 0 {
		args = append(args, "-timeout", opts.Timeout.String())
	}
	cmd := exec.CommandContext(ctx, d.bins.Configcheck, args...)
	cmd.Env = append(os.Environ(), secretEnv+"="+d.SharedSecretBase64())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, fmt.Errorf("run configcheck: %w", err)
	}
	r, perr := parseReport(stdout.Bytes())
	if r == nil {
		r = &Report{}
	}
	r.ExitCode, r.Stderr = cmd.ProcessState.ExitCode(), stderr.String()
	if perr != nil {
		return r, fmt.Errorf("configcheck exited %d: %w; stderr:\n%s", r.ExitCode, perr, r.Stderr)
	}
	return r, nil
}

// Report is what configcheck printed: one line per route and a summary.
type Report struct {
	Routes  []Route
	Summary Summary
	// ExitCode is 0 when every route built and the last build was
	// accepted, 1 when not (-strict), 2 on a connection, auth or timeout
	// problem.
	ExitCode int
	Stderr   string
}

// Route is how Pomerium built one route record.
type Route struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	From   string   `json:"from"`
	To     []string `json:"to"`
	Source string   `json:"source"`
	// Served is whether Pomerium serves the route.
	Served bool `json:"served"`
	// EffectivePPL is the PPL Pomerium builds from the route's own access
	// fields, one document per rule set.
	EffectivePPL []json.RawMessage `json:"effective_ppl"`
	Policies     []Policy          `json:"policies"`
	// Error is the error Pomerium logs when it builds the route.
	Error string `json:"error"`
	// RegoError is the authorize evaluator's error for the route's policy.
	RegoError string `json:"rego_error"`
	// Warnings are what Pomerium drops silently: a policy whose PPL does
	// not parse, a policy id with no policy record.
	Warnings []string `json:"warnings"`
	// Raw is the whole line, for failure messages and fields not above.
	Raw json.RawMessage `json:"-"`
}

// Policy is one policy Pomerium attached to a route.
type Policy struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	PPL      string `json:"ppl"`
	PPLError string `json:"ppl_error"`
}

// Summary is configcheck's last line.
type Summary struct {
	Routes       int  `json:"routes"`
	Errors       int  `json:"errors"`
	ServedRoutes int  `json:"served_routes"`
	LastBuildOK  bool `json:"last_build_ok"`
	// Reason says why the last build failed.
	Reason          string          `json:"reason"`
	SettingsError   string          `json:"settings_error"`
	ServerVersion   uint64          `json:"server_version"`
	PomeriumVersion string          `json:"pomerium_version"`
	Raw             json.RawMessage `json:"-"`
}

// parseReport reads configcheck's JSON lines: routes, then the summary,
// which is the one line with last_build_ok.
func parseReport(out []byte) (*Report, error) {
	r := &Report{}
	summaries := 0
	lines := bufio.NewScanner(bytes.NewReader(out))
	lines.Buffer(nil, 16<<20)
	for lines.Scan() {
		line := bytes.TrimSpace(lines.Bytes())
		if len(line) == 0 {
			continue
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(line, &keys); err != nil {
			return r, fmt.Errorf("configcheck line %q: %w", line, err)
		}
		raw := json.RawMessage(bytes.Clone(line))
		if _, ok := keys["last_build_ok"]; ok {
			summaries++
			if err := json.Unmarshal(line, &r.Summary); err != nil {
				return r, fmt.Errorf("configcheck summary %q: %w", line, err)
			}
			r.Summary.Raw = raw
			continue
		}
		var route Route
		if err := json.Unmarshal(line, &route); err != nil {
			return r, fmt.Errorf("configcheck route %q: %w", line, err)
		}
		route.Raw = raw
		r.Routes = append(r.Routes, route)
	}
	if err := lines.Err(); err != nil {
		return r, fmt.Errorf("read configcheck output: %w", err)
	}
	if summaries != 1 {
		return r, fmt.Errorf("configcheck printed %d summary lines, want 1", summaries)
	}
	return r, nil
}
