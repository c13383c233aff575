package serviceaccounts

import (
	"context"
	"embed"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

// Register mounts the service accounts screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, []string{"parts.html"}, "list.html", "new.html", "created.html", "show.html")}
	mux.HandleFunc("GET /service-accounts", s.list)
	mux.HandleFunc("GET /service-accounts/new", s.newForm)
	mux.HandleFunc("POST /service-accounts/new", s.create)
	mux.HandleFunc("GET /service-accounts/{id}", s.show)
	mux.HandleFunc("POST /service-accounts/{id}/delete", s.delete)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// soonWindow is how close to its expiry an account is flagged.
const soonWindow = 7 * 24 * time.Hour

// account is a service account as the pages show it.
type account struct {
	ID, Description, NamespaceID, NamespacePath string
	// UserID is the user the account acts as: the one chosen when
	// ChosenUser, its id otherwise.
	UserID     string
	ChosenUser bool
	// Created is when the account (and its first token) was made; Expires
	// is zero for an account that never expires; LastAccess is zero when
	// no token of it was ever used.
	Created, Expires, LastAccess time.Time
	// ExpiryClass and ExpiryLabel flag an account that expired or soon
	// will, in colour and in words.
	ExpiryClass, ExpiryLabel string
	// ReadOnly: the account mirrors a Kubernetes object.
	ReadOnly bool
	// CanRevoke: the viewer may edit the service accounts of the account's
	// namespace.
	CanRevoke bool
}

// Label names the account: its description, or else its chosen user, or
// else its id.
func (a account) Label() string {
	switch {
	case a.Description != "":
		return a.Description
	case a.ChosenUser:
		return a.UserID
	}
	return "service account " + a.ID
}

func accountOf(v *ui.Viewer, sa *manage.ServiceAccount, now time.Time) account {
	a := account{
		ID: sa.ID, Description: sa.Description, NamespaceID: sa.NamespaceID, NamespacePath: v.NamespacePath(sa.NamespaceID),
		Created: sa.CreatedAt, Expires: sa.ExpiresAt, LastAccess: sa.LastUsed,
		ReadOnly: sa.Origin == store.OriginKubernetes,
	}
	a.UserID, a.ChosenUser = sa.User(), sa.UserID != ""
	switch left := a.Expires.Sub(now); {
	case a.Expires.IsZero():
	case left <= 0:
		a.ExpiryClass, a.ExpiryLabel = "expiry-expired", "expired"
	case left < soonWindow:
		a.ExpiryClass, a.ExpiryLabel = "expiry-soon", "expires soon"
	}
	a.CanRevoke = !a.ReadOnly && v.May(string(manage.EditServiceAccounts), a.NamespaceID)
	return a
}

// listData is what the list page shows.
type listData struct {
	Namespaces []ui.Namespace
	// Namespace and Q are the filters; an empty Namespace is every
	// namespace the viewer sees.
	Namespace, Q string
	Items        []account
	Pager        *ui.Pager
	// CanCreate: the viewer may edit the service accounts of a namespace.
	CanCreate bool
	// Refusal says why the list could not be read (a filter naming a
	// namespace the viewer cannot see, say). It is shown inside #results,
	// the part a filter swaps through htmx: the layout's page error lies
	// outside it and would never reach the screen.
	Refusal string
}

func (s *screen) list(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	q := r.URL.Query()
	d := listData{
		Namespaces: v.Namespaces(), Namespace: q.Get("namespace"), Q: strings.TrimSpace(q.Get("q")),
		Pager: ui.PagerFor(r.URL), CanCreate: len(managedNamespaces(v)) > 0,
	}
	namespaces := v.Scope(d.Namespace)
	page := ui.Page{Title: "Service accounts", Nav: ui.NavServiceAccounts}
	all, err := s.find(r.Context(), v, namespaces, d.Q)
	if err != nil {
		status, refusal := s.t.Refusal(r, err)
		d.Refusal = refusal
		page.Data = d
		s.t.Render(w, r, status, "list.html", page)
		return
	}
	d.Pager.Total = len(all)
	from, to := d.Pager.Window(len(all))
	d.Items = all[from:to]
	page.Data = d
	s.t.Render(w, r, http.StatusOK, "list.html", page)
}

// find lists the accounts of the namespaces whose description, id or user
// id contains q, newest first. The use cases list a whole namespace without
// paging or search, so both happen here: accounts are made by hand and
// are few, unlike routes.
func (s *screen) find(ctx context.Context, v *ui.Viewer, namespaces []string, q string) ([]account, error) {
	now, q := time.Now(), strings.ToLower(q)
	var out []account
	for _, ns := range namespaces {
		list, err := s.d.App.ListServiceAccounts(ctx, v.Caller(), ns)
		if err != nil {
			return nil, err
		}
		for _, sa := range list {
			if q == "" || strings.Contains(strings.ToLower(sa.Description), q) || strings.Contains(sa.ID, q) || strings.Contains(strings.ToLower(sa.User()), q) {
				out = append(out, accountOf(v, sa, now))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b account) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// managedNamespaces are the namespaces where the viewer may create and
// revoke service accounts.
func managedNamespaces(v *ui.Viewer) []ui.Namespace {
	var out []ui.Namespace
	for _, ns := range v.Namespaces() {
		if v.May(string(manage.EditServiceAccounts), ns.ID) {
			out = append(out, ns)
		}
	}
	return out
}
