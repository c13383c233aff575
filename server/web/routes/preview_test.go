package routes_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

// The preview refuses what compilation would refuse (ftp://, and tcp://
// where Pomerium serves tcp+https://), rather than calling such a route a
// create, and shows it beside every other refusal of the file and the plan
// of the good routes.
func TestImportPreviewRefusesWhatCompileRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.e.Recovery("")
	before := f.version()
	const file = `routes:
  - from: ftp://files.example.com
    to: https://files.internal
  - from: https://ok.example.com
    to: https://ok.internal
    allowed_users: [alice@example.com]
  - from: tcp://db:5432
    to: tcp://db.internal:5432
  - from: https://mystery.example.com
    to: https://mystery.internal
    frobnicate: true
  - from: https://colour.example.com
    to: https://colour.internal
    policy:
      allow:
        or:
          - colour: {is: red}
`
	res := b.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {store.GlobalNamespaceID}, "content": {file}})
	wantStatus(t, res, http.StatusBadRequest)
	rows := previewRows(res)
	for src, want := range map[string][]string{
		"routes[0]": {"refused", "ftp://files.example.com", "from", `scheme "ftp" is not one of`},
		"routes[1]": {"ok.example.com", "create"},
		"routes[2]": {"refused", "tcp://db:5432", "from", `scheme "tcp" is not served: write tcp+https://host:port`},
		"routes[3]": {"refused", "frobnicate", "unknown route key"},
		"routes[4]": {"refused", "policy", `unknown criterion "colour"`},
	} {
		for _, w := range want {
			if !strings.Contains(rows[src], w) {
				t.Errorf("row %s lacks %q: %s", src, w, rows[src])
			}
		}
	}
	if len(rows) != 5 {
		t.Errorf("%d rows, want one per route of the file: %v", len(rows), rows)
	}
	wantText(t, res, "4 routes are refused", "ok.example.com access")
	if res.Find(`button[value=apply]`).Length() != 0 {
		t.Error("a preview with refused routes offers to apply")
	}
	if f.version() != before {
		t.Fatal("a preview wrote to the store")
	}
}

// However many routes are refused, the preview shows every one of them.
func TestImportPreviewShowsEveryRefusal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.e.Recovery("")
	const broken = 25
	var file strings.Builder
	file.WriteString("routes:\n")
	for i := range broken {
		fmt.Fprintf(&file, "  - {from: 'ftp://f%d.example.com', to: https://f.internal}\n", i)
	}
	file.WriteString("  - {from: https://ok.example.com, to: https://ok.internal}\n")

	res := b.Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {store.GlobalNamespaceID}, "content": {file.String()}})
	wantStatus(t, res, http.StatusBadRequest)
	rows := previewRows(res)
	for i := range broken {
		src := fmt.Sprintf("routes[%d]", i)
		if !strings.Contains(rows[src], "refused") || !strings.Contains(rows[src], fmt.Sprintf("ftp://f%d.example.com", i)) {
			t.Errorf("row %s: %q", src, rows[src])
		}
	}
	if row := rows[fmt.Sprintf("routes[%d]", broken)]; !strings.Contains(row, "create") {
		t.Errorf("the good route's row: %q", row)
	}
	wantText(t, res, fmt.Sprintf("%d routes are refused", broken))
	if strings.Contains(mainText(res), "Not every route was checked") {
		t.Errorf("the preview stopped checking: %s", mainText(res))
	}
}

// When the routes the file itself refuses come with a file the plan refuses
// as a whole (it names a route Kubernetes manages), the preview still shows
// them, and says why the others were not planned.
func TestImportPreviewShowsRefusalsOfAFileNotPlanned(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ns := f.namespace(store.GlobalNamespaceID, "Apps")
	f.kubernetesRoute(ns, "kube", "https://kube.example.com", "Ingress default/kube")
	const file = `routes:
  - {from: 'ftp://files.example.com', to: https://files.internal}
  - {name: kube, from: https://kube.example.com, to: https://x.internal}
`
	res := f.e.Recovery("").Post("/routes/import", url.Values{"action": {"preview"}, "namespace": {ns}, "content": {file}})
	wantStatus(t, res, http.StatusBadRequest)
	if row := previewRows(res)["routes[0]"]; !strings.Contains(row, "refused") || !strings.Contains(row, `scheme "ftp"`) {
		t.Errorf("row routes[0]: %q", row)
	}
	wantText(t, res, "1 route is refused", "Not every route was checked", "managed by Kubernetes", "Ingress default/kube")
}
