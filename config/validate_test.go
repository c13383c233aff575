package config

import (
	"strings"
	"testing"
)

// TestProblemsNameKeyAndOrigin: every problem of a configuration comes
// back at once, each with its key and where it was set: the file (with
// its line), the environment or a flag.
func TestProblemsNameKeyAndOrigin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := input{
		yaml: "bind_addr: nowhere\ncolour: blue\ntls_cert: " + b64(pems.cert) + "\n",
		env:  map[string]string{"LOG_LEVEL": "loud", "SHARED_SECRET": b64("short")},
		args: []string{"--grpc-addr=:99999", "--databroker-service-url=http://databroker:5443"},
	}
	_, err := in.load(t, dir)
	got := map[string]string{}
	for _, p := range Problems(err) {
		got[p.Key] = p.Origin
	}
	want := map[string]string{
		"bind_addr":     dir + "/config.yaml:1",
		"colour":        dir + "/config.yaml:2",
		"tls_cert":      dir + "/config.yaml:3",
		"log_level":     "env LOG_LEVEL",
		"shared_secret": "env SHARED_SECRET",
		"grpc_addr":     "flag --grpc-addr",
	}
	for k, origin := range want {
		if o, ok := got[k]; !ok || o != origin {
			t.Errorf("problem of %s: origin %q (reported %v), want %q", k, o, ok, origin)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems %v, want those of %v", got, want)
	}
}

// TestCheckAndSettings: a database_url without an encryption key is a
// problem naming where the URL was set; Settings shows every key with its
// origin and no secret.
func TestCheckAndSettings(t *testing.T) {
	t.Parallel()
	in := input{
		yaml: "database_url: postgres://console:hunter2@db/console\n",
		env:  map[string]string{"SHARED_SECRET": secret41B64},
	}
	dir := t.TempDir()
	c, err := in.load(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	problems := Check(c)
	if len(problems) != 1 || problems[0].Key != "database_encryption_key" || !strings.Contains(problems[0].Error(), "("+dir+"/config.yaml:1)") {
		t.Errorf("Check = %v", problems)
	}
	var lines []string
	for _, s := range c.Settings() {
		lines = append(lines, s.Key+"="+s.Value+" "+s.Origin)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"database_url=postgres://console:xxxxx@db/console " + dir + "/config.yaml:1", "shared_secret=[redacted] env SHARED_SECRET", "bind_addr=:8701 \n"} {
		if !strings.Contains(text+"\n", want) {
			t.Errorf("settings do not say %q:\n%s", want, text)
		}
	}
	assertNoSecrets(t, text)
}
