package settings

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// clusterChoice is a cluster the selector offers, by the value of its
// query parameter ("" for the default cluster).
type clusterChoice struct {
	Value, Name string
	Selected    bool
}

// scope is the cluster whose settings a page shows: each cluster has its
// own, in its namespace (the default cluster's in Global).
type scope struct {
	ID, Name string
	Default  bool
	// NamespacePath is the path of the cluster's namespace, whose admins
	// may change its settings.
	NamespacePath string
	// Choices are the clusters the viewer may see, the default first.
	Choices []clusterChoice
}

// scopeOf is the scope of a cluster id the use cases have checked ("" is
// the default cluster).
func (s *screen) scopeOf(ctx context.Context, id string) (*scope, error) {
	v := ui.ViewerFrom(ctx)
	id = cmp.Or(id, store.DefaultClusterID)
	names, err := s.d.App.ClusterNames(ctx)
	if err != nil {
		return nil, err
	}
	sc := &scope{ID: id, Name: cmp.Or(names[id], id), Default: id == store.DefaultClusterID, NamespacePath: v.NamespacePath(id)}
	for cid, name := range names {
		if !v.Caller().Sees(cid) {
			continue
		}
		value := cid
		if cid == store.DefaultClusterID {
			value = ""
		}
		sc.Choices = append(sc.Choices, clusterChoice{Value: value, Name: name, Selected: cid == id})
	}
	slices.SortFunc(sc.Choices, func(a, b clusterChoice) int {
		switch {
		case a.Value == "":
			return -1
		case b.Value == "":
			return 1
		}
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Value, b.Value))
	})
	return sc, nil
}

// href is the page of one section of the scope's settings.
func (sc *scope) href(section string) string {
	q := url.Values{}
	if section != "" {
		q.Set("section", section)
	}
	if !sc.Default {
		q.Set("cluster", sc.ID)
	}
	return "/settings?" + q.Encode()
}

// Href is href for the templates.
func (sc *scope) Href(section string) string { return sc.href(section) }

// namespaceIDs are where the settings may find key pairs: the cluster's
// namespace and those above it the viewer may see.
func (sc *scope) namespaceIDs(v *ui.Viewer) []string {
	var out []string
	for _, id := range v.Caller().Ancestry(sc.ID) {
		if v.Caller().Sees(id) {
			out = append(out, id)
		}
	}
	return out
}
