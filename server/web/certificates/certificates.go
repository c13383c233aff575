package certificates

import (
	"context"
	"embed"
	"net/http"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
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
	// CanUpload: the viewer is admin of a namespace, which uploading takes.
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
	records, err := s.find(r.Context(), namespaces, d.Q, d.Pager)
	if err != nil {
		status, refusal, show := s.t.Refusal(w, r, err)
		if !show {
			return
		}
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
// in their order, and sets the pager's total. The service lists one
// namespace at a time, so each namespace is asked for the part of the page
// it holds (and its count): one call per namespace, never more than a page
// of key pairs read.
func (s *screen) find(ctx context.Context, namespaces []string, q string, p *ui.Pager) ([]*pb.KeyPairRecord, error) {
	skip, need := p.Offset, p.Limit
	var out []*pb.KeyPairRecord
	for _, ns := range namespaces {
		// A limit of 0 means the largest page to the service: ask for one
		// key pair where only the count is needed.
		req := &pb.ListKeyPairsRequest{NamespaceId: ns, Offset: proto.Int64(int64(skip)), Limit: proto.Int64(int64(max(need, 1)))}
		if q != "" {
			req.Query = proto.String(q)
		}
		res, err := s.d.Services.KeyChain.ListKeyPairs(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		total := int(res.Msg.GetTotalCount())
		p.Total += total
		if got := res.Msg.GetKeyPairs(); need > 0 {
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
		if v.Can(ns.ID, string(store.RoleAdmin)) {
			out = append(out, ns)
		}
	}
	return out
}
