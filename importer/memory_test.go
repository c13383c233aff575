package importer_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

// memoryChildEnv names the file a child process of
// TestImportMemoryGrowsSubLinearly imports.
const memoryChildEnv = "POMERIUM_CONSOLE_IMPORT_MEMORY_CHILD"

func TestMain(m *testing.M) {
	if file := os.Getenv(memoryChildEnv); file != "" {
		if err := importInChild(file); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestImportMemoryGrowsSubLinearly imports 1,000 and then 10,000 routes
// (each with its policy) into an empty embedded store, each in a process of
// its own that reports its peak RSS: an import that scans its file
// and hands its changes over one by one holds a batch of routes at a time,
// so ten times the routes must not take anywhere near ten times the
// memory. (It once took 10 KB a route: 6 GB for a million.) make
// bench-import measures 100,000 and 1,000,000 routes with the command.
func TestImportMemoryGrowsSubLinearly(t *testing.T) {
	t.Parallel()
	small, large := childPeakRSS(t, 1_000), childPeakRSS(t, 10_000)
	t.Logf("peak RSS: %d KiB for 1,000 routes, %d KiB for 10,000", small, large)
	// The test binary itself takes most of the first figure; what the
	// routes add must stay far below what they would take if each were
	// kept (about 90 MB more for 9,000 routes).
	if large > small*3/2 || large-small > 24<<10 {
		t.Errorf("peak RSS grew from %d KiB to %d KiB for ten times the routes: the import holds on to them", small, large)
	}
}

// childPeakRSS runs an import of n routes in a child process and returns
// its peak RSS in KiB.
func childPeakRSS(t *testing.T, n int) int64 {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	if err := writeRoutes(file, n); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), memoryChildEnv+"="+file, "GOMAXPROCS=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("import of %d routes in a child: %v\n%s", n, err, out)
	}
	var created, peak int64
	if _, err := fmt.Sscanf(string(out), "created %d, peak RSS %d kB\n", &created, &peak); err != nil || created != int64(2*n) {
		t.Fatalf("the child said %q (%v), want %d objects created", out, err, 2*n)
	}
	return peak
}

// writeRoutes writes a configuration file of n routes, each with an access
// rule.
func writeRoutes(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "routes:")
	for i := range n {
		fmt.Fprintf(w, "- from: https://app%d.example.com\n  to: http://app%d.internal:8080\n  pass_identity_headers: true\n  allowed_domains: [example.com]\n", i, i)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// importInChild imports file into a new embedded store next to it, as the
// import command does: scanned, and streamed change by change.
func importInChild(file string) error {
	ctx := context.Background()
	st, err := backend.Open(ctx, backend.Options{DataDir: filepath.Join(filepath.Dir(file), "data"), EncryptionKey: make([]byte, store.EncryptionKeySize), Logger: logr.Discard()})
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }() // the process ends here; the data is a test's
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	src := importer.Source{Open: func() (io.ReadCloser, error) { return os.Open(file) }, Size: fi.Size()}
	f, err := importer.Scan(src, nil)
	if err != nil {
		return err
	}
	res, err := importer.ImportFile(ctx, st, f, importer.Options{Stream: true, Changes: func(importer.Change) error { return nil }})
	if err != nil {
		return err
	}
	// The child's own high-water mark: the kernel's count for a child
	// (wait4's maxrss) starts from the parent's, which forked it.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(status)) {
		if peak, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Printf("created %d, peak RSS %s kB\n", res.Created, strings.TrimSuffix(strings.TrimSpace(peak), " kB"))
			return nil
		}
	}
	return errors.New("no VmHWM in /proc/self/status")
}
