package status

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"time"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

//go:embed *.html
var pages embed.FS

// Register mounts the status screen.
func Register(mux *http.ServeMux, d ui.Deps) {
	s := &screen{d: d, t: d.Chrome.MustParse(pages, nil, "status.html")}
	mux.HandleFunc("GET /status", s.show)
}

type screen struct {
	d ui.Deps
	t *ui.Templates
}

// reconciler is one reconciler's health as the page shows it.
type reconciler struct {
	store.Health
	// Lag is how many store versions the last successful pass is behind.
	Lag int64
	// Healthy: a pass succeeded and no pass failed after it.
	Healthy bool
}

// cluster is one cluster's section of the page.
type cluster struct {
	ID, Name, URL string
	Default       bool
	// Deleting: the cluster was deleted and its reconciler is removing the
	// console's records from its databroker.
	Deleting bool
	// Reconciler is nil before the cluster's reconciler first reported.
	Reconciler *reconciler
	// DatabrokerVersion is the live answer of the default cluster's
	// databroker, or DatabrokerError why there is none.
	DatabrokerVersion uint64
	DatabrokerError   string
}

type data struct {
	Allowed      bool
	StoreVersion int64
	// Clusters are the default cluster first, then every other by name,
	// then those being deleted.
	Clusters []cluster
	Checked  time.Time
	// Chain is the last verification of the activity log's hash chain;
	// nil where this process does not verify it.
	Chain *manage.ChainState
}

func (s *screen) show(w http.ResponseWriter, r *http.Request) {
	v := ui.ViewerFrom(r.Context())
	p := ui.Page{Title: "Status", Nav: ui.NavStatus}
	// What the reconcilers report concerns every namespace: reading it takes
	// a view of the Global namespace.
	d := data{Allowed: v.May(string(manage.View), store.GlobalNamespaceID), Checked: time.Now()}
	if !d.Allowed {
		p.Data = d
		s.t.Render(w, r, http.StatusForbidden, "status.html", p)
		return
	}
	ctx := r.Context()
	var err error
	if d.StoreVersion, err = s.d.Health.Version(ctx); err != nil {
		s.t.Fail(w, r, fmt.Errorf("read store version: %w", err))
		return
	}
	live, err := s.d.App.ListClusters(ctx, v.Caller())
	if err != nil {
		s.t.Fail(w, r, fmt.Errorf("list clusters: %w", err))
		return
	}
	retiring, err := s.d.App.RetiringClusters(ctx, v.Caller())
	if err != nil {
		s.t.Fail(w, r, fmt.Errorf("list deleted clusters: %w", err))
		return
	}
	for _, cl := range live {
		c := cluster{ID: cl.ID, Name: cl.Name, URL: cl.DatabrokerServiceURL, Default: cl.Default, Reconciler: reconcilerOf(cl.Health, d.StoreVersion)}
		if cl.Default {
			c.DatabrokerVersion, c.DatabrokerError = s.databroker(ctx)
		}
		d.Clusters = append(d.Clusters, c)
	}
	for _, cl := range retiring {
		d.Clusters = append(d.Clusters, cluster{ID: cl.ID, Name: cl.Name, URL: cl.DatabrokerServiceURL, Deleting: true,
			Reconciler: reconcilerOf(cl.Health, d.StoreVersion)})
	}
	if s.d.ActivityChain != nil {
		state := s.d.ActivityChain.State()
		d.Chain = &state
	}
	p.Data = d
	s.t.Render(w, r, http.StatusOK, "status.html", p)
}

// reconcilerOf is a report as the page shows it; nil before the first.
func reconcilerOf(h *store.Health, storeVersion int64) *reconciler {
	if h == nil {
		return nil
	}
	return &reconciler{
		Health: *h, Lag: max(storeVersion-h.SyncedVersion, 0),
		Healthy: !h.LastSuccess.IsZero() && !h.LastErrorAt.After(h.LastSuccess),
	}
}

// databroker asks the databroker for its server version, briefly: the
// status page must answer even when the databroker does not.
func (s *screen) databroker(ctx context.Context) (uint64, string) {
	if s.d.Databroker == nil {
		return 0, "no databroker is configured for this page"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	info, err := s.d.Databroker.ServerInfo(ctx)
	if err != nil {
		s.d.Log.Info("status page: databroker server info", "error", err.Error())
		return 0, "the databroker does not answer: " + err.Error()
	}
	return info.GetServerVersion(), ""
}
