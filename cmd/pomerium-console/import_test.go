package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestImportRefusesWhatCompilationRefuses: the import command refuses a
// file whose routes compilation would refuse, names every one of them on
// its own line, and writes nothing; a dry run also shows what it would do
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
		args := []string{"import", "--config", e.config, "--database-url=", "--database-encryption-key="}
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
		if got := strings.Contains(stdout.String(), "create    route      ok.example.com"); got != dryRun {
			t.Errorf("dry run %v: the plan of the other route shown %v:\n%s", dryRun, got, stdout.String())
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
