package controllers_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	dbpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/api/v1alpha1"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/store"
)

// record returns the route record of the databroker, or nil.
func record(t testingT, id string) *configpb.Route {
	got, err := world.broker.RPC().Get(t.Context(), &dbpb.GetRequest{Type: compile.RecordTypeRoute, Id: id})
	if err != nil {
		return nil
	}
	var r configpb.Route
	if got.GetRecord().GetData().UnmarshalTo(&r) != nil || got.GetRecord().GetDeletedAt() != nil {
		return nil
	}
	return &r
}

func ready(st v1alpha1.Status) *metav1.Condition {
	return meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
}

// TestRouteFollowsItsResource creates a policy and a route using it, edits
// the route and deletes it, and follows each step into the store, the
// databroker and the route's status.
func TestRouteFollowsItsResource(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	ns := kubeNamespace(t, "route-lifecycle")
	policy := &v1alpha1.Policy{ObjectMeta: metav1.ObjectMeta{Name: "users", Namespace: ns},
		Spec: v1alpha1.PolicySpec{Namespace: v1alpha1.NamespaceRef{Path: "Global"}, Name: "lifecycle users", PPL: "allow:\n  or:\n    - email: {is: a@example.com}\n"}}
	route := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns}, Spec: v1alpha1.RouteSpec{
		Namespace: v1alpha1.NamespaceRef{Path: "Global"}, Name: "lifecycle app", From: "https://lifecycle.example.com",
		To: []string{"https://lifecycle.internal"}, Policies: []v1alpha1.PolicyRef{{Name: "users"}}}}
	for _, obj := range []client.Object{policy, route} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	id := string(route.UID)
	eventually(t, "the route ready with its record in the databroker", func() (bool, string) {
		var got v1alpha1.Route
		if err := c.Get(ctx, client.ObjectKeyFromObject(route), &got); err != nil {
			return false, err.Error()
		}
		r := ready(got.Status)
		rec := record(t, id)
		return r != nil && r.Status == metav1.ConditionTrue && got.Status.RecordVersion > 0 && got.Status.ObservedGeneration == got.Generation &&
			rec != nil && slices.Equal(rec.PolicyIds, []string{string(policy.UID)}), describe(got.Status)
	})
	stored, err := store.Get[*store.Route](ctx, world.store, id)
	if err != nil || stored.Origin != store.OriginKubernetes || stored.OriginRef != "Route "+ns+"/app" || stored.Name != "lifecycle app" {
		t.Fatalf("store copy %+v, %v", stored, err)
	}

	// The store copy is read-only to the API.
	stored.Spec.To = []string{"https://hijack.internal"}
	_, err = store.Put(ctx, world.store, store.Actor{Subject: "someone", Origin: store.OriginAPI}, stored, 0)
	if !errors.Is(err, store.ErrFailedPrecondition) {
		t.Fatalf("an API edit of the Kubernetes route: %v", err)
	}

	var cur v1alpha1.Route
	if err := c.Get(ctx, client.ObjectKeyFromObject(route), &cur); err != nil {
		t.Fatal(err)
	}
	cur.Spec.To = []string{"https://lifecycle-v2.internal"}
	if err := c.Update(ctx, &cur); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edit in the record and the status of the new generation", func() (bool, string) {
		var got v1alpha1.Route
		if err := c.Get(ctx, client.ObjectKeyFromObject(route), &got); err != nil {
			return false, err.Error()
		}
		rec := record(t, id)
		r := ready(got.Status)
		return rec != nil && slices.Equal(rec.To, []string{"https://lifecycle-v2.internal"}) && got.Status.ObservedGeneration == got.Generation &&
			r != nil && r.Status == metav1.ConditionTrue && r.ObservedGeneration == got.Generation, describe(got.Status)
	})

	if err := c.Delete(ctx, &cur); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the route gone from Kubernetes, the store and the databroker", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(route), &v1alpha1.Route{})
		_, serr := world.store.Get(ctx, store.KindRoute, id)
		return apierrors.IsNotFound(err) && errors.Is(serr, store.ErrNotFound) && record(t, id) == nil, describe([]error{err, serr})
	})
}

// TestInvalidRouteReportedNotWritten gives a route a regex admission
// accepts but compilation refuses: the use cases refuse it as they refuse
// every writer, so it is neither stored nor written to the databroker, and
// its status says why.
func TestInvalidRouteReportedNotWritten(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	ns := kubeNamespace(t, "route-invalid")
	route := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: ns}, Spec: v1alpha1.RouteSpec{
		Namespace: v1alpha1.NamespaceRef{Path: "Global"}, Name: "invalid regex", From: "https://invalid.example.com",
		To: []string{"https://invalid.internal"}, Regex: "^/(unclosed"}}
	if err := c.Create(ctx, route); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Ready=False with the compile error", func() (bool, string) {
		var got v1alpha1.Route
		if err := c.Get(ctx, client.ObjectKeyFromObject(route), &got); err != nil {
			return false, err.Error()
		}
		r := ready(got.Status)
		synced := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionSynced)
		return r != nil && r.Status == metav1.ConditionFalse && r.Reason == "Invalid" && strings.Contains(r.Message, "regex") &&
			synced != nil && synced.Status == metav1.ConditionFalse && synced.Reason == "Invalid", describe(got.Status)
	})
	if rec := record(t, string(route.UID)); rec != nil {
		t.Errorf("an invalid route reached the databroker: %v", rec)
	}
	if _, err := world.store.Get(ctx, store.KindRoute, string(route.UID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an invalid route was stored: %v", err)
	}
}

// TestMissingReferencesReported names a console namespace and a policy
// that do not exist.
func TestMissingReferencesReported(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	ns := kubeNamespace(t, "route-missing")
	for _, tc := range []struct {
		name   string
		mutate func(*v1alpha1.RouteSpec)
		reason string
	}{
		{"no-namespace", func(s *v1alpha1.RouteSpec) { s.Namespace = v1alpha1.NamespaceRef{Path: "Global/Nowhere"} }, "NamespaceNotFound"},
		{"no-policy", func(s *v1alpha1.RouteSpec) { s.Policies = []v1alpha1.PolicyRef{{Name: "absent"}} }, "PolicyNotFound"},
	} {
		r := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: tc.name, Namespace: ns}, Spec: v1alpha1.RouteSpec{
			Namespace: v1alpha1.NamespaceRef{Path: "Global"}, From: "https://" + tc.name + ".example.com", To: []string{"https://x.internal"}}}
		tc.mutate(&r.Spec)
		if err := c.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		eventually(t, tc.name+" reported", func() (bool, string) {
			var got v1alpha1.Route
			if err := c.Get(ctx, client.ObjectKeyFromObject(r), &got); err != nil {
				return false, err.Error()
			}
			s := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionSynced)
			return s != nil && s.Status == metav1.ConditionFalse && s.Reason == tc.reason, describe(got.Status)
		})
	}
}

// TestCollisionWithAPIRouteReportedOnBoth makes a Route claim the same
// requests as a route created through the API: both report the collision,
// naming the other.
func TestCollisionWithAPIRouteReportedOnBoth(t *testing.T) {
	t.Parallel()
	ctx, c := t.Context(), newClient(t)
	ns := kubeNamespace(t, "route-collision")
	api, err := store.Put(ctx, world.store, store.Actor{Subject: "someone", Origin: store.OriginAPI}, &store.Route{
		ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "api twin"},
		Spec:       &configpb.Route{From: "https://twin.example.com", To: []string{"https://api.internal"}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	kr := &v1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Name: "twin", Namespace: ns}, Spec: v1alpha1.RouteSpec{
		Namespace: v1alpha1.NamespaceRef{Path: "Global"}, Name: "kube twin", From: "https://twin.example.com", To: []string{"https://kube.internal"}}}
	if err := c.Create(ctx, kr); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the collision on the Route and on the API route", func() (bool, string) {
		var got v1alpha1.Route
		if err := c.Get(ctx, client.ObjectKeyFromObject(kr), &got); err != nil {
			return false, err.Error()
		}
		r := ready(got.Status)
		st, err := world.store.Status(ctx, store.KindRoute, api.ID)
		if err != nil {
			return false, err.Error()
		}
		apiStatus := st[api.ID]
		return r != nil && r.Reason == "Invalid" && strings.Contains(r.Message, `"api twin"`) &&
			apiStatus.State == store.SyncError && strings.Contains(apiStatus.Reason, `"kube twin"`), describe([]any{got.Status, apiStatus})
	})
	// The API route keeps the record it had before the collision (an
	// invalid object keeps its last good record); the newcomer gets none.
	if record(t, string(kr.UID)) != nil {
		t.Error("the colliding Route reached the databroker")
	}
}
