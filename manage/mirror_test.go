package manage

import (
	"testing"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestMirror: a mirror's objects keep the id they have at their source,
// are written with their source's origin, are not written again while
// unchanged, and take every writer's checks.
func TestMirror(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, err := f.app.System(f.ctx, "kubernetes", store.OriginKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	route := func(from string) *store.Route {
		return &store.Route{ObjectMeta: store.ObjectMeta{ID: id, NamespaceID: store.GlobalNamespaceID, Name: "app", OriginRef: "Route default/app"},
			Spec: &configpb.Route{From: from, To: []string{"https://upstream.internal"}}}
	}
	first, err := f.app.Mirror(f.ctx, c, route("https://app.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if m := first.GetObjectMeta(); m.ID != id || m.Origin != store.OriginKubernetes || m.OriginRef != "Route default/app" {
		t.Fatalf("mirrored %+v", m)
	}
	again, err := f.app.Mirror(f.ctx, c, route("https://app.example.com"))
	if err != nil || again.GetObjectMeta().Version != first.GetObjectMeta().Version {
		t.Fatalf("an unchanged mirror was written again: %v, %v", again, err)
	}
	changed, err := f.app.Mirror(f.ctx, c, route("https://other.example.com"))
	if err != nil || changed.GetObjectMeta().Version <= first.GetObjectMeta().Version {
		t.Fatalf("a changed mirror: %v, %v", changed, err)
	}
	_, err = f.app.Mirror(f.ctx, c, route("ftp://app.example.com"))
	wantRefusal(t, "a route compilation refuses", err, CodeInvalid, "from")

	if err := f.app.Unmirror(f.ctx, c, store.KindRoute, id); err != nil {
		t.Fatal(err)
	}
	if err := f.app.Unmirror(f.ctx, c, store.KindRoute, id); err != nil {
		t.Fatalf("unmirroring what is gone: %v", err)
	}
}
