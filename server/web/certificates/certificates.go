package certificates

import (
	"context"
	"embed"
	"net/http"
	"strings"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

//go:embed *.html
var pages embed.FS

// Register mounts the certificates screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"parts.html"}, "list.html", "new.html", "show.html")}
	mux.HandleFunc("GET /certificates", s.list)
	mux.HandleFunc("GET /certificates/new", s.newForm)
	mux.HandleFunc("POST /certificates/new", s.create)
	mux.HandleFunc("GET /certificates/{id}", s.show)
	mux.HandleFunc("POST /certificates/{id}/delete", s.delete)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// listData is what the list page shows.
type listData struct {
	Namespaces []ui.Namespace
	// Namespace and Q are the filters; an empty Namespace is every
	// namespace the viewer sees.
	Namespace, Q string
	Items        []keyPair
	Pager        *ui.Pager
	// CanUpload: the viewer may edit the key pairs of a namespace.
	CanUpload bool
	// Refusal says why the list could not be read (a namespace filter the
	// viewer may not see, say). It is shown inside #results, the part a
	// filter swaps through htmx: the layout's page error lies outside it
	// and would never reach the screen.
	Refusal string
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	q := r.URL.Query()
	d := listData{
		Namespaces: v.Namespaces(), Namespace: q.Get("namespace"), Q: strings.TrimSpace(q.Get("q")),
		Pager: ui.PagerFor(r.URL), CanUpload: len(adminNamespaces(v)) > 0,
	}
	namespaces := v.Scope(d.Namespace)
	page := ui.Page{Title: "Certificates", Nav: ui.NavCertificates}
	records, err := s.find(r.Context(), v.Caller(), namespaces, d.Q, d.Pager)
	if err != nil {
		status, refusal := s.t.Refusal(r, err)
		d.Refusal = refusal
		page.Data = d
		s.t.Render(w, r, status, "list.html", page)
		return
	}
	for _, kp := range records {
		d.Items = append(d.Items, keyPairOf(v, kp))
	}
	page.Data = d
	s.t.Render(w, r, http.StatusOK, "list.html", page)
}

// find returns the page of key pairs the pager asks for across namespaces,
// in their order, and sets the pager's total. Key pairs are listed one
// namespace at a time, so each namespace is asked for the part of the page
// it holds (and its count): one read per namespace, never more than a page
// of key pairs read.
func (s *screen) find(ctx context.Context, c *manage.Caller, namespaces []string, q string, p *ui.Pager) ([]*manage.KeyPair, error) {
	skip, need := p.Offset, p.Limit
	var out []*manage.KeyPair
	for _, ns := range namespaces {
		// A limit of 0 is the largest page: ask for one key pair where only
		// the count is needed.
		res, err := s.d.App.ListKeyPairs(ctx, c, manage.KeyPairQuery{ListQuery: manage.ListQuery{
			Namespace: ns, Query: q, Offset: skip, Limit: max(need, 1),
		}})
		if err != nil {
			return nil, err
		}
		total := res.Total
		p.Total += total
		if got := res.Items; need > 0 {
			got = got[:min(len(got), need)]
			out = append(out, got...)
			need -= len(got)
		}
		skip = max(skip-total, 0)
	}
	return out, nil
}

// adminNamespaces are the namespaces where the viewer may upload and
// delete key pairs.
func adminNamespaces(v *ui.Viewer) []ui.Namespace {
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if v.May(string(manage.EditKeyPairs), ns.ID) {
			out = append(out, ns)
		}
	}
	return out
}
