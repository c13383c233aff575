package routes

import (
	"cmp"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// preview is what an import would do, shown before anything is written.
type preview struct {
	NamespaceID, Path string
	// Content goes back with the apply form, unchanged.
	Content string
	// Routes are the file's routes in file order, each with what the
	// import does with it or why it is refused.
	Routes []previewRow
	// Others are the policies and key pairs the routes bring.
	Others  []previewRow
	Ignored []string
	// Refused counts the routes refused; Stopped says why some were not
	// checked.
	Refused                     int
	Stopped                     string
	Created, Updated, Unchanged int
	// NeedsRole lists what the viewer's role in the namespace does not let
	// it import (manage.ImportPlan.NeedsRole).
	NeedsRole []string
	// Digest identifies the plan: an apply goes ahead only when the plan
	// it computes again is the one the viewer saw.
	Digest string
}

type previewRow struct {
	Source, Kind, Name, From string
	To                       []string
	Action                   importer.Action
	// Field and Error say why a route is refused.
	Field, Error string
	Diff         string
}

func (p *preview) status() int {
	switch {
	case p.Refused > 0 || p.Stopped != "":
		return http.StatusBadRequest
	case len(p.NeedsRole) > 0:
		return http.StatusForbidden
	}
	return http.StatusOK
}

// CanApply reports whether the import may be applied as previewed.
func (p *preview) CanApply() bool { return p.status() == http.StatusOK && p.Created+p.Updated > 0 }

// newPreview shows the plan of a dry run of the import; stopped is why the
// routes the file does not refuse were not planned, nil when they were.
func newPreview(v *ui.Viewer, ns, content string, plan *manage.ImportPlan, stopped error) *preview {
	p := &preview{
		NamespaceID: ns, Path: v.NamespacePath(ns), Content: content, Refused: len(plan.Refused),
		Ignored: plan.IgnoredKeys, Created: plan.Created, Updated: plan.Updated, Unchanged: plan.Unchanged,
		NeedsRole: plan.NeedsRole, Digest: plan.Digest,
	}
	if stopped != nil {
		p.Stopped = "the routes that could be read were not planned: " + ui.Message(stopped)
	}
	var rows []previewRow
	for _, e := range plan.Refused {
		rows = append(rows, previewRow{
			Source: e.Source(), Kind: string(store.KindRoute),
			From: e.From, Field: e.Field, Error: e.Err.Error(),
		})
	}
	for _, ch := range plan.Plan {
		rt, ok := ch.Object.(*store.Route)
		if !ok {
			p.Others = append(p.Others, previewRow{Source: ch.Source, Kind: kindName(ch.Kind), Name: ch.Name, Action: ch.Action, Diff: ch.Diff})
			continue
		}
		rows = append(rows, previewRow{
			Source: ch.Source, Kind: string(store.KindRoute), Name: ch.Name, From: rt.Spec.GetFrom(),
			To: destinations(rt.Spec), Action: ch.Action, Diff: ch.Diff,
		})
	}
	sortBySource(rows)
	p.Routes = rows
	return p
}

var sourcePattern = regexp.MustCompile(`^(routes|policy)\[(\d+)\]$`)

// sortBySource puts rows in file order: the routes list before the older
// policy list, as the importer reads them.
func sortBySource(rows []previewRow) {
	key := func(r previewRow) [2]int {
		m := sourcePattern.FindStringSubmatch(r.Source)
		if m == nil {
			return [2]int{2, 0}
		}
		i, _ := strconv.Atoi(m[2]) // the pattern matched digits
		if m[1] == "policy" {
			return [2]int{1, i}
		}
		return [2]int{0, i}
	}
	slices.SortStableFunc(rows, func(a, b previewRow) int {
		ka, kb := key(a), key(b)
		return cmp.Or(cmp.Compare(ka[0], kb[0]), cmp.Compare(ka[1], kb[1]))
	})
}

func kindName(k store.Kind) string { return strings.ReplaceAll(string(k), "_", " ") }

// destinations is what the To column says: the upstream URLs (with their
// load balancing weights), or the redirect or direct response the route
// answers with instead.
func destinations(s *configpb.Route) []string {
	switch {
	case len(s.GetTo()) > 0:
		return upstreams(s)
	case s.GetRedirect() != nil:
		return []string{"redirect"}
	case s.GetResponse() != nil:
		return []string{"response " + strconv.Itoa(int(s.GetResponse().GetStatus()))}
	}
	return nil
}
