package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/databroker/memory"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

// runCommand runs the console's command line in-process and returns what
// it wrote to standard output and standard error.
func runCommand(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(bytes.NewReader(stdin))
	root.SetArgs(args)
	err = root.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

// opsDir is a data directory for the embedded store and a config file
// naming it; the empty store flags keep DATABASE_URL or
// DATABASE_ENCRYPTION_KEY of the environment out.
func opsDir(t *testing.T, extra string) (dir string, flags []string) {
	t.Helper()
	dir = t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte("data_dir: "+dir+"\nlog_level: error\n"+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, []string{"--config", config, "--database-url=", "--database-encryption-key="}
}

// TestConfigValidate: every problem is listed at once with its key and
// origin, and the command fails; a valid configuration is printed with the
// origin of each value and, with --connect, the store and databroker are
// reached; a databroker that refuses the shared secret is a problem of
// shared_secret.
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	dir, flags := opsDir(t, "bind_addr: nowhere\ncolour: blue\n")
	_, stderr, err := runCommand(t, nil, append([]string{"config", "validate", "--grpc-addr=:99999", "--log-level=loud"}, flags...)...)
	if err == nil || !strings.Contains(err.Error(), "4 problems") {
		t.Errorf("validate of a bad configuration: %v", err)
	}
	for _, want := range []string{
		"bind_addr (" + dir + "/config.yaml:3): want host:port",
		"colour (" + dir + "/config.yaml:4): unknown key",
		"grpc_addr (flag --grpc-addr): port \"99999\"",
		"log_level (flag --log-level): \"loud\" is not one of",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("problems do not say %q:\n%s", want, stderr)
		}
	}

	secret := bytes.Repeat([]byte("s"), 32)
	broker := memory.New(memory.Options{SharedSecret: secret, Logger: logr.Discard()})
	addr, err := broker.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Stop)
	_, flags = opsDir(t, "databroker_service_url: http://"+addr.String()+"\n")
	stdout, stderr, err := runCommand(t, nil, append([]string{"config", "validate", "--connect", "--shared-secret", base64.StdEncoding.EncodeToString(secret)}, flags...)...)
	if err != nil {
		t.Fatalf("validate --connect: %v\n%s", err, stderr)
	}
	for _, want := range []string{"configuration is valid", "store: reached", "databroker: reached"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("validate --connect does not say %q:\n%s", want, stdout)
		}
	}
	if line := lineOf(stdout, "  shared_secret "); !strings.Contains(line, "[redacted]") || !strings.HasSuffix(line, "(flag --shared-secret)") {
		t.Errorf("shared_secret is shown as %q", line)
	}
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("o"), 32))
	_, stderr, err = runCommand(t, nil, append([]string{"config", "validate", "--connect", "--shared-secret", other}, flags...)...)
	if err == nil || !strings.Contains(stderr, "shared_secret (flag --shared-secret): the databroker refuses it") {
		t.Errorf("validate --connect with another secret: %v\n%s", err, stderr)
	}
}

// lineOf is the first line of text that starts with prefix.
func lineOf(text, prefix string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// TestBackupRestoreAndMigrateStatus runs the commands on embedded stores:
// a backup restores into an empty store with the same key, and is refused
// by a store that holds something or has no key.
func TestBackupRestoreAndMigrateStatus(t *testing.T) {
	t.Parallel()
	src, flags := opsDir(t, "")
	if _, stderr, err := runCommand(t, nil, append([]string{"import"}, append(flags, "../../importer/testdata/config.yaml")...)...); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	backup := filepath.Join(t.TempDir(), "backup.jsonl")
	if _, stderr, err := runCommand(t, nil, append([]string{"backup", "--out", backup}, flags...)...); err != nil || !strings.Contains(stderr, "backed up") {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v", info, err)
	}
	dst, dstFlags := opsDir(t, "")
	if _, _, err := runCommand(t, nil, append([]string{"restore", backup}, dstFlags...)...); err == nil || !strings.Contains(err.Error(), "database_encryption_key") {
		t.Errorf("restore without the key: %v", err)
	}
	key, err := os.ReadFile(filepath.Join(src, backend.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, backend.KeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if stdout, _, err := runCommand(t, nil, append([]string{"restore", backup}, dstFlags...)...); err != nil || !strings.Contains(stdout, "restored") {
		t.Fatalf("restore: %v", err)
	}
	if _, _, err := runCommand(t, nil, append([]string{"restore", backup}, dstFlags...)...); err == nil || !strings.Contains(err.Error(), "restores only into an empty store") {
		t.Errorf("restore into a store that holds something: %v", err)
	}
	before, _, err := runCommand(t, nil, append([]string{"export", "--secrets"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := runCommand(t, nil, append([]string{"export", "--secrets"}, dstFlags...)...)
	if err != nil || after != before {
		t.Errorf("the restored store exports another document (%v)", err)
	}

	_, fresh := opsDir(t, "")
	stdout, _, err := runCommand(t, nil, append([]string{"migrate", "status"}, fresh...)...)
	if err != nil || !strings.Contains(stdout, "1        pending") || !strings.Contains(stdout, "0 applied") {
		t.Errorf("migrate status of a new store: %v\n%s", err, stdout)
	}
	stdout, _, err = runCommand(t, nil, append([]string{"migrate", "status"}, flags...)...)
	if err != nil || !strings.Contains(stdout, "1        applied") || !strings.Contains(stdout, "0 pending") {
		t.Errorf("migrate status of a migrated store: %v\n%s", err, stdout)
	}
}

// TestExportApplyCommands: export then apply changes nothing; an edit is
// shown by a dry run, which writes nothing, then applied; a refused object
// is named and nothing is written.
func TestExportApplyCommands(t *testing.T) {
	t.Parallel()
	_, flags := opsDir(t, "")
	if _, stderr, err := runCommand(t, nil, append([]string{"import"}, append(flags, "../../importer/testdata/config.yaml")...)...); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	doc, _, err := runCommand(t, nil, append([]string{"export"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(doc string, more ...string) (string, string, error) {
		return runCommand(t, []byte(doc), append(append([]string{"apply", "-f", "-"}, more...), flags...)...)
	}
	if stdout, _, err := apply(doc, "--prune"); err != nil || !strings.HasPrefix(stdout, "no changes: ") {
		t.Fatalf("apply of the export: %v\n%s", err, stdout)
	}
	edited := strings.Replace(doc, "http://api:8080", "http://api:9090", 1)
	stdout, _, err := apply(edited, "--dry-run")
	if err != nil || !strings.Contains(stdout, "update    route") || !strings.Contains(stdout, "    +    - http://api:9090") ||
		!strings.Contains(stdout, "would apply 1 changes: 0 created, 1 updated, 0 deleted") {
		t.Fatalf("dry run: %v\n%s", err, stdout)
	}
	if now, _, _ := runCommand(t, nil, append([]string{"export"}, flags...)...); now != doc {
		t.Error("a dry run wrote")
	}
	broken := strings.Replace(edited, "from: https://app.example.com", "from: ftp://app.example.com", 1)
	_, stderr, err := apply(broken)
	if err == nil || !strings.Contains(stderr, "refused   routes[") || !strings.Contains(stderr, "spec.from: scheme \"ftp\"") {
		t.Errorf("apply with a refused route: %v\n%s", err, stderr)
	}
	if now, _, _ := runCommand(t, nil, append([]string{"export"}, flags...)...); now != doc {
		t.Error("a refused document wrote")
	}
	if stdout, _, err := apply(edited); err != nil || !strings.HasPrefix(stdout, "applied 1 changes") {
		t.Errorf("apply: %v\n%s", err, stdout)
	}
}

// TestCompletion: cobra's completion scripts, and the values of --format.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if stdout, _, err := runCommand(t, nil, "completion", shell); err != nil || !strings.Contains(stdout, "pomerium-console") {
			t.Errorf("completion %s: %v", shell, err)
		}
	}
	stdout, _, err := runCommand(t, nil, "__complete", "export", "--format", "")
	if err != nil || !strings.HasPrefix(stdout, "yaml\njson\n") {
		t.Errorf("completion of --format: %v\n%s", err, stdout)
	}
}
