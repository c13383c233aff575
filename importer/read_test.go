package importer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
)

// The splitter is only a way to read the same routes in less memory: every
// file must read the same cut into routes as read whole. These tests and
// FuzzCutReadsAsWhole hold it to that.

// layouts are files the splitter cuts (streamed) or leaves whole, each
// with a reason to be here.
var layouts = []struct {
	name     string
	file     string
	streamed bool
}{
	{"indented list", "routes:\n  - from: https://a.example.com\n    to: http://a\n  - from: https://b.example.com\n    to: http://b\n", true},
	{"indentless list", "routes:\n- from: https://a.example.com\n  to: http://a\n- {from: https://b.example.com, to: http://b}\n", true},
	{"settings around", "authenticate_service_url: https://auth.example.com\nroutes: # ours\n- from: https://a.example.com\n  to: http://a\n\n# a comment\nidp_provider: oidc\n", true},
	{"comments and blank lines in items", "routes:\n  # first\n  - from: https://a.example.com\n\n    # inside\n    to: http://a\n# at column 0\n  - from: https://b.example.com\n    to: http://b\n", true},
	{"block scalars", "routes:\n  - from: https://a.example.com\n    to: http://a\n    description: |\n      line one\n\n      - not an item\n    policy: |\n      allow:\n        or:\n          - domain:\n              is: example.com\n", true},
	{"nested lists", "routes:\n- from: https://a.example.com\n  to:\n  - http://a1,1\n  - http://a2,2\n  allowed_users:\n  - alice@example.com\n", true},
	{"merge keys of the settings", "x-defaults: &defaults\n  pass_identity_headers: true\n  timeout: 30s\nroutes:\n  - from: https://a.example.com\n    to: http://a\n    <<: *defaults\n  - <<: *defaults\n    from: https://b.example.com\n    to: http://b\n", true},
	{"policy list before routes", "policy:\n- from: https://p.example.com\n  to: http://p\nroutes:\n- from: https://r.example.com\n  to: http://r\n", true},
	{"repeated derived names across lists", "policy:\n- {from: https://a.example.com, to: http://p}\nroutes:\n- {from: https://a.example.com, to: http://r}\n- {name: a.example.com, from: https://z.example.com, to: http://z}\n", true},
	{"document start", "---\nroutes:\n- {from: https://a.example.com, to: http://a}\n", true},
	{"crlf", "routes:\r\n- from: https://a.example.com\r\n  to: http://a\r\n", true},
	{"carriage return alone", "routes:\n  - \r0", false},
	{"carriage return alone inside an item", "routes:\n- from: https://a.example.com\r  to: http://a\n", false},
	{"next line", "routes:\n  - \u00850\n", false},
	{"line separator", "routes:\n- {from: https://a.example.com, to: http://a}\u2028x: 1\n", false},
	{"paragraph separator", "routes:\n- {from: https://a.example.com, to: http://a}\u2029x: 1\n", false},
	{"byte order mark", "\uFEFFroutes:\n- {from: https://a.example.com, to: http://a}\n", true},
	{"no final line break", "routes:\n- {from: https://a.example.com, to: http://a}", true},
	{"empty list", "routes:\nidp_provider: oidc\n", true},
	{"refused routes", "routes:\n- {from: 'ftp://a.example.com', to: http://a}\n- 7\n- {from: https://b.example.com, to: http://b, colour: red}\n- {from: https://c.example.com, to: http://c}\n", true},
	{"flow list", "routes: [{from: https://a.example.com, to: http://a}]\n", true},
	{"flow list on the next line", "routes:\n  [{from: https://a.example.com, to: http://a}]\n", false},
	{"base64 list", "routes: LSB7ZnJvbTogaHR0cHM6Ly9hLmV4YW1wbGUuY29tLCB0bzogaHR0cDovL2F9Cg==\n", true},
	{"base64 of no list", "routes: cm91dGVzOiBbXQo=\n", false},
	{"anchor in an item", "routes:\n- &a {from: https://a.example.com, to: http://a}\n- <<: *a\n  from: https://b.example.com\n", false},
	{"alias of a later anchor", "routes:\n- <<: *d\n  from: https://a.example.com\nx: &d {to: http://d}\n", false},
	{"quoted string across items", "routes:\n- from: \"https://a.example.com\n- x\"\n  to: http://a\n", false},
	{"list key inside a string", "x: \"a\nroutes:\n  b\"\nroutes:\n- {from: https://a.example.com, to: http://a}\n", false},
	{"second document", "routes:\n- {from: https://a.example.com, to: http://a}\n---\nroutes: []\n", false},
	{"tab", "routes:\n-\tfrom: https://a.example.com\n\tto: http://a\n", false},
	{"set twice", "routes:\n- {from: https://a.example.com, to: http://a}\nroutes:\n- {from: https://b.example.com, to: http://b}\n", false},
	{"not YAML", "routes:\n- from: [https://a.example.com\n", false},
	{"not a mapping", "- from: https://a.example.com\n", false},
	{"empty", "", false},
	{"no routes", "idp_provider: oidc\n", false},
	{"list of a scalar", "routes:\n  just text\n", false},
}

func TestCutReadsAsWhole(t *testing.T) {
	t.Parallel()
	for _, l := range layouts {
		streamed := sameAsWhole(t, l.name, []byte(l.file))
		if streamed != l.streamed {
			t.Errorf("%s: cut %v, want %v", l.name, streamed, l.streamed)
		}
	}
	for _, name := range []string{"config.yaml", "config-changed.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !sameAsWhole(t, name, data) {
			t.Errorf("%s is not cut", name)
		}
	}
}

// FuzzCutReadsAsWhole: whatever the bytes, cutting reads what reading whole
// reads, or gives way to it.
func FuzzCutReadsAsWhole(f *testing.F) {
	for _, l := range layouts {
		f.Add([]byte(l.file))
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameAsWhole(t, "fuzzed", data) })
}

// sameAsWhole reads data cut (if the splitter can) and whole, fails the
// test if they differ, and reports whether it was cut.
func sameAsWhole(t *testing.T, name string, data []byte) (cut bool) {
	t.Helper()
	r := &fileReader{src: Bytes(data)}
	gotCut, errCut := r.scan(true)
	cut = !errors.Is(errCut, errReadWhole)
	if !cut {
		return false
	}
	whole := &fileReader{src: Bytes(data), whole: true}
	gotWhole, errWhole := whole.scan(true)
	if fmt.Sprint(errCut) != fmt.Sprint(errWhole) {
		t.Errorf("%s: cut: %v; whole: %v", name, errCut, errWhole)
		return cut
	}
	if diff := cmp.Diff(describeFile(gotWhole), describeFile(gotCut), protocmp.Transform()); diff != "" {
		t.Errorf("%s: cut reads otherwise than whole (-whole +cut):\n%s", name, diff)
	}
	return cut
}

// fileView is what a test compares of a File.
type fileView struct {
	Routes                  []routeView
	Refused, KeyPairs, Keys []string
}

type routeView struct {
	Source, Name, PPL, KeyPairs string
	Spec                        any
}

func describeFile(f *File) *fileView {
	if f == nil {
		return nil
	}
	v := &fileView{Keys: f.IgnoredKeys}
	for _, r := range f.Routes {
		v.Routes = append(v.Routes, routeView{
			Source: r.Source(), Name: r.Name, PPL: r.PPL, Spec: r.Spec,
			KeyPairs: strings.Join([]string{keyPairName(r.CustomCA), keyPairName(r.ClientCertificate), keyPairName(r.DownstreamClientCA)}, ","),
		})
	}
	for _, e := range f.Refused {
		v.Refused = append(v.Refused, e.Error())
	}
	for _, kp := range f.KeyPairs {
		v.KeyPairs = append(v.KeyPairs, fmt.Sprintf("%s %s %x %x", kp.Name, kp.Source, kp.Certificate, kp.PrivateKey))
	}
	return v
}

// TestScanReadsTheRoutesAgain: a scanned file keeps no routes, and hands
// over, when read again, the routes Parse keeps, named alike.
func TestScanReadsTheRoutesAgain(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var read []int64
	scanned, err := Scan(Bytes(data), func(n int64) { read = append(read, n) })
	if err != nil {
		t.Fatal(err)
	}
	if len(scanned.Routes) != 0 || scanned.NumRoutes != len(parsed.Routes) || len(read) == 0 || read[len(read)-1] != int64(len(data)) {
		t.Fatalf("Scan kept %d routes, counted %d of %d, reported %v of %d bytes read", len(scanned.Routes), scanned.NumRoutes, len(parsed.Routes), read, len(data))
	}
	for pass := range 2 {
		again := &File{KeyPairs: parsed.KeyPairs, IgnoredKeys: parsed.IgnoredKeys, Refused: parsed.Refused}
		err := scanned.eachRoute(func(r *RouteSpec) error {
			again.Routes = append(again.Routes, r)
			return nil
		})
		if err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
		if diff := cmp.Diff(describeFile(parsed), describeFile(again), protocmp.Transform()); diff != "" {
			t.Errorf("pass %d reads otherwise than Parse (-parsed +scanned):\n%s", pass, diff)
		}
	}
}

// TestScanNoticesAChangedFile: a file that changes between the reads of an
// import is refused, so that what is written is what was planned.
func TestScanNoticesAChangedFile(t *testing.T) {
	t.Parallel()
	content := "routes:\n- {from: https://a.example.com, to: http://a}\n"
	src := Source{Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(content)), nil }, Size: -1}
	f, err := Scan(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, edit := range []string{
		"routes:\n- {from: https://a.example.com, to: http://b}\n",
		"routes:\n- {from: https://a.example.com, to: http://a}\n- {from: https://b.example.com, to: http://b}\n",
	} {
		content = edit
		err := f.eachRoute(func(*RouteSpec) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "changed while it was being imported") {
			t.Errorf("a file changed to %q: %v, want it refused", edit, err)
		}
	}
}
