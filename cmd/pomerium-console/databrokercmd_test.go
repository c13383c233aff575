package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/databroker"
)

// TestDatabrokerServe: the hidden databroker command refuses to run
// without a shared secret, and with one serves calls signed with it on the
// address it prints, until its context ends.
func TestDatabrokerServe(t *testing.T) {
	t.Parallel()
	_, flags := opsDir(t, "")
	if _, _, err := runCommand(t, nil, append([]string{"databroker", "serve"}, flags...)...); err == nil || !strings.Contains(err.Error(), "shared_secret") {
		t.Errorf("serve without a shared secret: %v, want an error naming shared_secret", err)
	}

	secret := bytes.Repeat([]byte("d"), 32)
	ctx, stop := context.WithCancel(t.Context())
	root := newRoot()
	pr, pw := io.Pipe()
	defer pr.Close() //nolint:errcheck // a pipe; nothing to report
	root.SetOut(pw)
	root.SetArgs(append([]string{"databroker", "serve", "--addr", "127.0.0.1:0", "--shared-secret", base64.StdEncoding.EncodeToString(secret)}, flags...))
	served := make(chan error, 1)
	go func() { served <- root.ExecuteContext(ctx) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		t.Fatalf("the databroker did not say where it listens: %q, %v", line, err)
	}
	c, err := databroker.Dial(databroker.Options{URL: "http://" + addr, SharedSecret: secret, Logger: testr.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close() //nolint:errcheck // end of test
	if _, err := c.ServerInfo(t.Context()); err != nil {
		t.Errorf("a call signed with the shared secret: %v", err)
	}
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("stopped with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the databroker did not stop when its context ended")
	}
}
