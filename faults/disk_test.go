package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/hack/wait"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

// TestEmbeddedStoreDiskFull runs serve with the embedded store on a small
// filesystem of its own (a tmpfs of 32 MiB) and fills it while routes are
// written through the API: the writes are refused with Unavailable naming
// the full disk, not Internal; serve keeps running; once space is freed,
// writes are accepted again. Then, with serve stopped, the filesystem is
// made read-only: serve refuses to start, naming it, and starts and
// accepts writes once it is writable again. At the end the database
// passes SQLite's integrity check, every acknowledged write is in it, no
// refused one is, and the databroker holds exactly the compiled records.
// It measures how long writes take to be accepted again after space
// returns.
func TestEmbeddedStoreDiskFull(t *testing.T) {
	t.Parallel()
	mnt := smallFilesystem(t, 32<<20)
	data := filepath.Join(mnt, "data")
	b := startBroker(t)
	observer := b.client(t)
	c := embeddedConsole(t, "disk", data, b.addr, b)
	c.start()
	routes := pb.NewRouteServiceClient(c.dial(c.adminToken()))
	writes := newLedger()

	// Leave 2 MiB free, and write routes of 16 KiB until the console
	// refuses one; then it must refuse every write the same way, and keep
	// running.
	filler := filepath.Join(mnt, "filler")
	fill(t, filler, 2<<20)
	before := writes.acknowledged()
	refused := writeUntilRefused(t, routes, "full", writes)
	t.Logf("disk full after %d more routes were written: refused with %v", writes.acknowledged()-before, refused)
	for i := 0; ; i++ {
		if status.Code(refused) != codes.Unavailable || !strings.Contains(status.Convert(refused).Message(), "disk is full") {
			t.Fatalf("a write to a full disk was answered %v; want Unavailable naming the full disk", refused)
		}
		if i == 5 {
			break
		}
		name := fmt.Sprintf("full-again-%d", i)
		res, err := routes.SetRoute(t.Context(), &pb.SetRouteRequest{Route: padded(name, 16<<10)})
		writes.record(name, res.GetRoute().GetId(), err)
		refused = err
	}
	select {
	case <-c.done:
		t.Fatalf("serve exited on a full disk: %v", c.err)
	default:
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	accepted := writeUntilAccepted(t, routes, "freed", writes)
	t.Logf("space freed: a write accepted %v later", accepted.Sub(freed).Round(time.Millisecond))
	st := openStore(t, data)
	wait.Until(t, "the databroker to hold exactly the compiled records after the disk was full", time.Minute, func() (bool, string) {
		return converged(t.Context(), st, observer)
	})
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	// Nothing may hold the database open for writing when the filesystem
	// is made read-only.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Read-only: a filesystem holding an open database cannot be made
	// read-only (the kernel refuses while a file is open for writing), so
	// serve meets it at start, and refuses to start, naming the cause.
	remount(t, mnt, "ro")
	refusedStart(t, c, "read-only file system")
	remount(t, mnt, "rw")
	c.start()
	routes = pb.NewRouteServiceClient(c.dial(c.adminToken()))
	writeUntilAccepted(t, routes, "writable", writes)
	st = openStore(t, data)
	wait.Until(t, "the databroker to hold exactly the compiled records at the end", time.Minute, func() (bool, string) {
		return converged(t.Context(), st, observer)
	})
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}

	checkIntegrity(t, filepath.Join(data, backend.DatabaseFile))
	writes.holds(t, st)
}

// refusedStart runs serve with c's configuration and wants it to exit
// with an error that names cause, within 30 s.
func refusedStart(t *testing.T, c *console, cause string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "serve", "--config", c.config).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), cause) {
		t.Fatalf("serve on a %s: %v, want it to exit naming it; it wrote:\n%s", cause, err, outputTail(out))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Logf("serve refused to start: %s", lines[len(lines)-1])
}

// outputTail is the end of a command's output, for a failure.
func outputTail(out []byte) []byte { return out[max(0, len(out)-4096):] }

// smallFilesystem mounts a tmpfs of size bytes for t alone and unmounts it
// when t ends.
func smallFilesystem(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs (the scenario needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		// Cleanups run last registered first: the processes using the
		// filesystem, started after it was mounted, have stopped.
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// remount makes the filesystem at dir read-only ("ro") or writable ("rw").
func remount(t *testing.T, dir, mode string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, mode, err, out)
	}
}

// fill writes path until the filesystem has about leave bytes free.
func fill(t *testing.T, path string, leave uint64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // nothing is read back
	chunk := make([]byte, 64<<10)
	for {
		var fs syscall.Statfs_t
		if err := syscall.Statfs(filepath.Dir(path), &fs); err != nil {
			t.Fatal(err)
		}
		if fs.Bavail*uint64(fs.Bsize) <= leave+uint64(len(chunk)) {
			return
		}
		if _, err := f.Write(chunk); err != nil {
			t.Fatalf("fill the filesystem: %v", err)
		}
	}
}

// writeUntilRefused writes routes (padded, to use the space up) until one
// is refused, and returns the refusal. Every outcome goes to l.
func writeUntilRefused(t *testing.T, routes pb.RouteServiceClient, prefix string, l *ledger) error {
	t.Helper()
	var refusal error
	n := 0
	wait.Until(t, "a write to be refused", time.Minute, func() (bool, string) {
		name := fmt.Sprintf("%s-%d", prefix, n)
		n++
		res, err := routes.SetRoute(t.Context(), &pb.SetRouteRequest{Route: padded(name, 16<<10)})
		l.record(name, res.GetRoute().GetId(), err)
		refusal = err
		return err != nil, fmt.Sprintf("%d written", n)
	})
	return refusal
}

// writeUntilAccepted writes routes until one is acknowledged, and returns
// when it was. Every outcome goes to l.
func writeUntilAccepted(t *testing.T, routes pb.RouteServiceClient, prefix string, l *ledger) time.Time {
	t.Helper()
	n := 0
	var last error
	wait.Until(t, "a write to be accepted", time.Minute, func() (bool, string) {
		name := fmt.Sprintf("%s-%d", prefix, n)
		n++
		res, err := routes.SetRoute(t.Context(), &pb.SetRouteRequest{Route: padded(name, 0)})
		l.record(name, res.GetRoute().GetId(), err)
		last = err
		return err == nil, fmt.Sprint(last)
	})
	return time.Now()
}

// checkIntegrity runs SQLite's own check of the whole database file.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close() //nolint:errcheck // only read
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var result []string
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("integrity check: %v", err)
	}
	defer rows.Close() //nolint:errcheck // read to the end below
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		result = append(result, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(result) != 1 || result[0] != "ok" {
		t.Fatalf("integrity check: %s", strings.Join(result, "; "))
	}
	t.Logf("integrity check: ok")
}
