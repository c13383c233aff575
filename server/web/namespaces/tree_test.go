package namespaces

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/store"
)

func ns(id, parent, name string) *store.Namespace {
	return &store.Namespace{ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: parent, Name: name}}
}

func TestTreeOrderFollowsParentsNotPathText(t *testing.T) {
	t.Parallel()
	all := []*store.Namespace{
		ns("g", "", "Global"),
		ns("ab", "g", "a-b"), // "-" sorts before " / " would in a path
		ns("a", "g", "a"),
		ns("ax", "a", "x"),
		ns("B", "g", "B"),
		ns("hidden", "g", "hidden"),
		ns("under-hidden", "hidden", "kid"),
	}
	visible := func(id string) bool { return id != "hidden" }
	var got []string
	for _, it := range treeOrder(all, visible) {
		got = append(got, it.ID+"@"+string(rune('0'+it.Depth)))
	}
	// Siblings by name ignoring case; a namespace whose parent is hidden
	// starts its own tree.
	want := []string{"g@0", "a@1", "ax@2", "ab@1", "B@1", "under-hidden@0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree order (-want +got):\n%s", diff)
	}
}

func TestNestKeepsChildrenUnderParentsOnThePage(t *testing.T) {
	t.Parallel()
	items := treeOrder([]*store.Namespace{
		ns("g", "", "Global"), ns("a", "g", "a"), ns("ax", "a", "x"), ns("b", "g", "b"),
	}, func(string) bool { return true })
	// The second page starts at "x": its parent is on the page before, so
	// it is a root of this page that shows its path.
	roots := nest(items[2:])
	if len(roots) != 2 || roots[0].ID != "ax" || !roots[0].ShowPath || roots[1].ID != "b" || !roots[1].ShowPath {
		t.Fatalf("page roots: %+v", roots)
	}
	roots = nest(items)
	if len(roots) != 1 || roots[0].ShowPath || len(roots[0].Children) != 2 || len(roots[0].Children[0].Children) != 1 {
		t.Fatalf("whole tree: %+v", roots)
	}
}

func TestWindowBoundsThePage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ n, offset, limit, from, to int }{
		{10, 0, 5, 0, 5}, {10, 8, 5, 8, 10}, {10, 20, 5, 10, 10}, {0, 0, 50, 0, 0},
	} {
		if from, to := window(c.n, c.offset, c.limit); from != c.from || to != c.to {
			t.Errorf("window(%d, %d, %d) = %d, %d; want %d, %d", c.n, c.offset, c.limit, from, to, c.from, c.to)
		}
	}
}
