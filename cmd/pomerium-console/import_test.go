package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestImportRefusesWhatCompilationRefuses: the import command refuses a
// file whose routes compilation would refuse, names every one of them on
// its own line, and writes nothing; --verbose also shows what it would do
// with the others.
func TestImportRefusesWhatCompilationRefuses(t *testing.T) {
	t.Parallel()
	e := newRecoveryEnv(t)
	file := filepath.Join(e.dir, "pomerium.yaml")
	config := "routes:\n" +
		"- from: ftp://files.example.com\n  to: http://files.internal\n" +
		"- from: https://ok.example.com\n  to: http://ok.internal\n" +
		"- from: tcp://db:5432\n  to: tcp://db.internal:5432\n"
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dryRun := range []bool{false, true} {
		args := []string{"import", "--verbose", "--config", e.config, "--database-url=", "--database-encryption-key="}
		if dryRun {
			args = append(args, "--dry-run")
		}
		root := newRoot()
		var stdout, stderr bytes.Buffer
		root.SetOut(&stdout)
		root.SetErr(&stderr)
		root.SetArgs(append(args, file))
		err := root.ExecuteContext(t.Context())
		if err == nil || !strings.Contains(err.Error(), "2 routes are refused") {
			t.Fatalf("dry run %v: %v, want 2 routes refused", dryRun, err)
		}
		for _, want := range []string{
			"refused   routes[0] (from ftp://files.example.com): from:",
			"refused   routes[2] (from tcp://db:5432): from:",
		} {
			if !strings.Contains(stderr.String(), want+" ") {
				t.Errorf("dry run %v: stderr does not say %q:\n%s", dryRun, want, stderr.String())
			}
		}
		if !strings.Contains(stdout.String(), "create    route      ok.example.com") {
			t.Errorf("dry run %v: the plan of the other route is not shown:\n%s", dryRun, stdout.String())
		}
	}
	st := e.open(t)
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	got, err := st.List(t.Context(), store.KindRoute, store.ListQuery{})
	if err != nil || got.TotalCount != 0 {
		t.Fatalf("routes after refused imports: %v, %v", got, err)
	}
}

// TestImportSummary: off a terminal, an import prints one line whatever it
// imports; --verbose adds one line per object it creates or updates, and
// none for what it leaves unchanged.
func TestImportSummary(t *testing.T) {
	t.Parallel()
	e := newRecoveryEnv(t)
	file := filepath.Join(e.dir, "pomerium.yaml")
	write := func(routes int, to string) {
		var b strings.Builder
		b.WriteString("routes:\n")
		for i := range routes {
			fmt.Fprintf(&b, "- from: https://app%d.example.com\n  to: %s\n  allowed_domains: [example.com]\n", i, to)
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) []string {
		t.Helper()
		root := newRoot()
		var stdout, stderr bytes.Buffer
		root.SetOut(&stdout)
		root.SetErr(&stderr)
		root.SetArgs(append(append([]string{"import", "--config", e.config, "--namespace", "Production"}, args...), file))
		if err := root.ExecuteContext(t.Context()); err != nil {
			t.Fatalf("import %v: %v", args, err)
		}
		if stderr.Len() > 0 {
			t.Errorf("import %v wrote to standard error off a terminal: %q", args, stderr.String())
		}
		return strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	}
	write(300, "http://app.internal")
	want := fmt.Sprintf("imported 300 routes into namespace %s: 600 created, 0 updated, 0 unchanged", e.production)
	if got := run(); len(got) != 1 || got[0] != want {
		t.Errorf("import printed %d lines, ending %q; want the one line %q", len(got), got[len(got)-1], want)
	}
	write(300, "http://moved.internal")
	got := run("--verbose", "--dry-run")
	wantLast := fmt.Sprintf("would import 300 routes into namespace %s: 0 created, 300 updated, 300 unchanged", e.production)
	if len(got) != 301 || got[0] != "update    route      app0.example.com" || got[300] != wantLast {
		t.Errorf("--verbose --dry-run printed %d lines, first %q, last %q; want 300 updates and %q", len(got), got[0], got[len(got)-1], wantLast)
	}
}
