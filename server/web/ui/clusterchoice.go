package ui

import (
	"context"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

// ClusterChoice is a cluster a screen of what Pomerium keeps in a
// cluster's databroker (sessions, devices) may show, as the template
// "cluster-choice" offers it.
type ClusterChoice struct {
	// ID is the cluster's id, "" for the default cluster.
	ID, Name string
	Selected bool
}

// ClusterChoices reads the clusters in whose namespace the viewer may take
// action (the Global namespace for the default cluster), the default
// first, with the one whose id is selected ("" for the default cluster)
// marked.
func ClusterChoices(ctx context.Context, app *manage.App, v *Viewer, action manage.Action, selected string) ([]ClusterChoice, error) {
	all, err := app.ListClusters(ctx, v.Caller())
	if err != nil {
		return nil, err
	}
	var out []ClusterChoice
	for _, cl := range all {
		ns, id := cl.ID, cl.ID
		if cl.Default {
			ns, id = store.GlobalNamespaceID, ""
		}
		if v.May(string(action), ns) {
			out = append(out, ClusterChoice{ID: id, Name: cl.Name, Selected: id == selected})
		}
	}
	return out, nil
}
