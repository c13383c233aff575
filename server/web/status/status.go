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

type data struct {
	Allowed      bool
	StoreVersion int64
	Reconcilers  []reconciler
	// Databroker is the live answer of the databroker, or why there is none.
	DatabrokerVersion uint64
	DatabrokerError   string
	Checked           time.Time
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
	health, err := s.d.Health.Health(ctx)
	if err != nil {
		s.t.Fail(w, r, fmt.Errorf("read reconciler health: %w", err))
		return
	}
	for _, h := range health {
		d.Reconcilers = append(d.Reconcilers, reconciler{
			Health: h, Lag: max(d.StoreVersion-h.SyncedVersion, 0),
			Healthy: !h.LastSuccess.IsZero() && !h.LastErrorAt.After(h.LastSuccess),
		})
	}
	d.DatabrokerVersion, d.DatabrokerError = s.databroker(ctx)
	p.Data = d
	s.t.Render(w, r, http.StatusOK, "status.html", p)
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
