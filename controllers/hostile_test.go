package controllers_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/internal/hostile"
	"github.com/pomerium-console/pomerium-console/store"
)

// TestHostileRoutes creates Routes with the hostile names and from URLs
// of the corpus. Each is refused at admission naming its field (or, past
// the API server's request limit, as too large), or admitted and then
// refused by the console with Ready=False naming the field and nothing
// stored, or stored with the value read back equal. Invalid UTF-8 cannot
// be sent: a Kubernetes client writes JSON, which replaces it.
func TestHostileRoutes(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	ns := kubeNamespace(t, "hostile")
	i := 0
	for _, slot := range []hostile.Slot{hostile.Name, hostile.From} {
		for _, it := range hostile.Items(slot) {
			value := it.Value()
			if !utf8.ValidString(value) {
				continue
			}
			i++
			spec := v1alpha1.RouteSpec{Namespace: v1alpha1.NamespaceRef{Path: "Global"}, Name: fmt.Sprintf("hostile %d", i),
				From: fmt.Sprintf("https://hostile-%d.example.com", i), To: []string{"https://upstream.internal"}}
			if slot == hostile.Name {
				spec.Name = value
			} else {
				spec.From = value
			}
			route := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("hostile-%d", i), Namespace: ns}, Spec: spec}
			t.Run(it.Label, func(t *testing.T) {
				t.Parallel()
				checkHostileRoute(t, c, route, slot, it.Want, value)
			})
		}
	}
}

func checkHostileRoute(t *testing.T, c client.Client, route *v1alpha1.Route, slot hostile.Slot, want hostile.Outcome, value string) {
	ctx := t.Context()
	field := "spec." + string(slot)
	if err := c.Create(ctx, route); err != nil {
		if want == hostile.Store {
			t.Fatalf("refused at admission: %.300v", err)
		}
		if msg := err.Error(); !strings.Contains(msg, field) && !strings.Contains(msg, "too large") {
			t.Fatalf("refused at admission with %.300q, which names neither %s nor the size", msg, field)
		}
		t.Logf("refused at admission: %.200s", err)
		return
	}
	if want == hostile.Store {
		eventually(t, "the route stored with the value sent", func() (bool, string) {
			obj, err := world.store.Get(ctx, store.KindRoute, string(route.UID))
			if err != nil {
				return false, err.Error()
			}
			r := obj.(*store.Route)
			got := r.Spec.GetFrom()
			if slot == hostile.Name {
				got = r.Name
			}
			return got == value, fmt.Sprintf("stored %q", got)
		})
		return
	}
	eventually(t, "Ready=False naming "+string(slot), func() (bool, string) {
		var got v1alpha1.Route
		if err := c.Get(ctx, client.ObjectKeyFromObject(route), &got); err != nil {
			return false, err.Error()
		}
		r := ready(got.Status)
		return r != nil && r.Status == metav1.ConditionFalse && r.Reason == "Invalid" && strings.Contains(r.Message, string(slot)), describe(got.Status)
	})
	t.Logf("admitted, refused by the console")
	if _, err := world.store.Get(ctx, store.KindRoute, string(route.UID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused route was stored: %v", err)
	}
}
