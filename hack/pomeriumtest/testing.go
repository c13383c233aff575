package pomeriumtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pomerium-console/pomerium-console/databroker"
)

// Runner is what Main needs of a test package: *testing.M, or a wrapper
// that starts more servers around m.Run.
type Runner interface{ Run() int }

// Main starts one databroker for a whole test package, stores it in *d, runs
// the tests and stops it. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pomeriumtest.Main(m, &real)) }
//
// When the programs are missing or the databroker does not start, the
// package fails with the reason.
func Main(m Runner, d **Databroker) int {
	// Bounded so that a wedged start fails the package instead of running
	// into go test's own timeout, whose panic would say nothing about why.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	db, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pomeriumtest: %v\n", err)
		return 1
	}
	*d = db
	code := m.Run()
	if err := db.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pomeriumtest: stop: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Exclusive gives the databroker to t alone until t ends, emptied with
// Clear (under a new server version, as a restart would): the tests of a
// package take turns on it.
func (d *Databroker) Exclusive(t testing.TB) {
	t.Helper()
	d.exclusive.Lock()
	t.Cleanup(d.exclusive.Unlock)
	c := d.Dial(t)
	if _, err := c.RPC().Clear(t.Context(), &emptypb.Empty{}); err != nil {
		t.Fatalf("clear the databroker: %v", err)
	}
}

// Dial returns a client of the databroker, closed when t ends.
func (d *Databroker) Dial(t testing.TB) *databroker.Client {
	t.Helper()
	c, err := databroker.Dial(databroker.Options{URL: d.URL(), SharedSecret: d.secret})
	if err != nil {
		t.Fatalf("dial the databroker: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close databroker client: %v", err)
		}
	})
	return c
}
