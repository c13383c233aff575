package policies

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-logr/logr/testr"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/manage/rbac"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// Every field of the editor that the service can refuse is tied to its
// error: aria-invalid, and aria-describedby naming the error's id. The
// explanation, the remediation and the namespace select once showed their
// errors untied. The use cases check none of these fields' values today, so
// the refusals are made here and passed through refuse, as a save does.
func TestEditorTiesEachFieldToItsError(t *testing.T) {
	t.Parallel()
	log := testr.New(t)
	tmpl := (&ui.Chrome{Log: log}).MustParse(pages, nil, listPage, editPage)
	viewer := ui.NewViewer(&auth.Principal{Kind: auth.KindUser, Subject: "u@example.com"},
		manage.CallerOf(manage.Identity{Subject: "u@example.com"}, store.OriginUI, rbac.New(nil, nil)), "token", false)
	for _, field := range []string{"name", "description", "namespace_id", "enforced", "explanation", "remediation"} {
		d := &editData{New: true, Action: "/policies/new", Form: ui.NewForm(), Tab: "general", CanEnforce: true,
			Namespaces: []ui.Namespace{{ID: store.GlobalNamespaceID, Name: "Global", Path: "Global"}}}
		reason := "is not acceptable for " + field
		refuse(d.Form, manage.Refuse(manage.CodeInvalid, field, "%s", reason), viewer)

		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/policies/new", nil)
		tmpl.Render(rec, req, http.StatusBadRequest, editPage, ui.Page{Title: "New policy", Viewer: viewer, Data: d})
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		input := doc.Find("#" + field)
		if input.AttrOr("aria-invalid", "") != "true" {
			t.Errorf("%s: refused, but not aria-invalid", field)
		}
		refs := strings.Fields(input.AttrOr("aria-describedby", ""))
		var described string
		for _, id := range refs {
			if doc.Find("#"+id).Length() != 1 {
				t.Errorf("%s: aria-describedby names %q, which the page lacks", field, id)
			}
			described += doc.Find("#" + id).Text()
		}
		if !strings.Contains(described, reason) {
			t.Errorf("%s: aria-describedby %v does not lead to the error %q", field, refs, reason)
		}
		// The other fields stay valid.
		if n := doc.Find("[aria-invalid]").Length(); n != 1 {
			t.Errorf("%s: %d fields marked invalid, want 1", field, n)
		}
	}
}
