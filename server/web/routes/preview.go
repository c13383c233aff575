package routes

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/importer"
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
	// NeedsAdmin lists what only an admin of the namespace may import,
	// when the viewer is not one.
	NeedsAdmin []string
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
	case len(p.NeedsAdmin) > 0:
		return http.StatusForbidden
	}
	return http.StatusOK
}

// CanApply reports whether the import may be applied as previewed.
func (p *preview) CanApply() bool { return p.status() == http.StatusOK && p.Created+p.Updated > 0 }

func newPreview(v *ui.Viewer, ns, content string, c *checked) *preview {
	p := &preview{NamespaceID: ns, Path: v.NamespacePath(ns), Content: content, Stopped: c.Stopped, Refused: len(c.Errors)}
	var rows []previewRow
	refused := make(map[string]bool, len(c.Errors))
	for _, e := range c.Errors {
		refused[e.Source()] = true
		rows = append(rows, previewRow{
			Source: e.Source(), Kind: string(store.KindRoute),
			From: e.From, Field: e.Field, Error: e.Err.Error(),
		})
	}
	changes := map[string]importer.Change{}
	digest := sha256.New()
	fmt.Fprintf(digest, "%s\n", ns)
	if c.Plan != nil {
		p.Ignored = c.Plan.IgnoredKeys
		p.Created, p.Updated, p.Unchanged = c.Plan.Created, c.Plan.Updated, c.Plan.Unchanged
		for _, ch := range c.Plan.Plan {
			writeDigest(digest, ch)
			if ch.Kind == store.KindRoute {
				changes[ch.Source] = ch
				continue
			}
			p.Others = append(p.Others, previewRow{Source: ch.Source, Kind: kindName(ch.Kind), Name: ch.Name, Action: ch.Action, Diff: ch.Diff})
			if need := importer.AdminOnly(ch); need != "" && !v.Can(ns, string(store.RoleAdmin)) {
				p.NeedsAdmin = append(p.NeedsAdmin, need)
			}
		}
	}
	if c.File != nil {
		for _, r := range c.File.Routes {
			src := r.Source()
			if refused[src] {
				continue // refused by the plan, and shown as such
			}
			ch := changes[src]
			rows = append(rows, previewRow{
				Source: src, Kind: string(store.KindRoute), Name: r.Name, From: r.Spec.GetFrom(),
				To: destinations(r.Spec), Action: ch.Action, Diff: ch.Diff,
			})
		}
	}
	sortBySource(rows)
	p.Routes = rows
	p.Digest = hex.EncodeToString(digest.Sum(nil))
	return p
}

func writeDigest(h interface{ Write([]byte) (int, error) }, ch importer.Change) {
	id := ch.ID
	if ch.Action == importer.ActionCreate {
		id = "" // chosen anew by every dry run
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\n", ch.Kind, ch.Name, ch.Action, id, ch.Source, ch.Diff)
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
