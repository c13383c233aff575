package main

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
)

// TestKubeConfigThroughput: the controllers' client is not held to
// client-go's default of 5 requests a second, and a rate the
// configuration sets is kept.
func TestKubeConfigThroughput(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := kubeConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QPS != kubeQPS || cfg.Burst != kubeBurst {
		t.Errorf("QPS %v and burst %d, want %v and %d", cfg.QPS, cfg.Burst, kubeQPS, kubeBurst)
	}
	if got := withThroughput(&rest.Config{QPS: 50, Burst: 60}); got.QPS != 50 || got.Burst != 60 {
		t.Errorf("a rate the configuration sets became QPS %v and burst %d", got.QPS, got.Burst)
	}
}
