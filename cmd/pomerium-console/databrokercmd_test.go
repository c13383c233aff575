package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/hack/wait"
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
	var out syncBuffer
	root.SetOut(&out)
	root.SetArgs(append([]string{"databroker", "serve", "--addr", "127.0.0.1:0", "--shared-secret", base64.StdEncoding.EncodeToString(secret)}, flags...))
	served := make(chan error, 1)
	go func() { served <- root.ExecuteContext(ctx) }()
	var addr string
	wait.Until(t, "the databroker to say where it listens", 10*time.Second, func() (bool, string) {
		line, ok := strings.CutPrefix(out.String(), "listening on ")
		addr = strings.TrimSpace(line)
		return ok && strings.HasSuffix(line, "\n"), out.String()
	})
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

// syncBuffer is a buffer one goroutine writes while another reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
