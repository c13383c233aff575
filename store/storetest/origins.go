package storetest

import (
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func testOrigins(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "ActorOriginValid", newEnv, func(t *testing.T, f *fixture) {
		p := put(f, newPolicy(store.GlobalNamespaceID, "p"))
		for _, o := range []store.Origin{"", store.OriginSystem, "cli"} {
			actor := store.Actor{Subject: "mallory", Origin: o}
			f.rejects(actor, store.CodeInvalid, "origin", &store.PutOp{Object: newNamespace(store.GlobalNamespaceID, "ns")})
			f.rejects(actor, store.CodeInvalid, "origin", &store.DeleteOp{Kind: store.KindPolicy, ID: p.ID})
		}
	})
	subtest(t, "ObjectsTakeActorOrigin", newEnv, func(t *testing.T, f *fixture) {
		in := newPolicy(store.GlobalNamespaceID, "p")
		in.Origin = store.OriginKubernetes
		p := putAs(f, uiActor, in)
		if got := get[*store.Policy](f, p.ID); got.Origin != store.OriginUI {
			t.Errorf("policy written from the UI has origin %q, want ui", got.Origin)
		}
		putAs(f, importer, p)
		if got := get[*store.Policy](f, p.ID); got.Origin != store.OriginImport {
			t.Errorf("policy rewritten by import has origin %q, want import", got.Origin)
		}
	})
	subtest(t, "KubernetesOwned", newEnv, testKubernetesOwned)
	subtest(t, "CascadeBlockedByKubernetesObject", newEnv, func(t *testing.T, f *fixture) {
		ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
		child := put(f, newNamespace(ns.ID, "child"))
		r := newRoute(child.ID, "app", "https://app.example.com")
		r.OriginRef = "Route default/app"
		putAs(f, kubeActor, r)
		op := &store.DeleteOp{Kind: store.KindNamespace, ID: ns.ID, Cascade: true}
		for _, actor := range []store.Actor{apiActor, uiActor} {
			err := f.rejects(actor, store.CodeFailedPrecondition, "", op)
			if err == nil || !strings.Contains(err.Error(), r.OriginRef) {
				t.Errorf("error %v does not name %q", err, r.OriginRef)
			}
		}
	})
}

func testKubernetesOwned(t *testing.T, f *fixture) {
	ns := put(f, newNamespace(store.GlobalNamespaceID, "ns"))
	in := newRoute(ns.ID, "app", "https://app.example.com")
	in.OriginRef = "Route default/app"
	r := putAs(f, kubeActor, in)
	got := get[*store.Route](f, r.ID)
	if got.Origin != store.OriginKubernetes || got.OriginRef != in.OriginRef {
		t.Errorf("route written by kubernetes has origin %q and ref %q, want kubernetes and %q", got.Origin, got.OriginRef, in.OriginRef)
	}
	for _, actor := range []store.Actor{apiActor, uiActor, importer} {
		edit := store.Clone(got)
		edit.Spec.To = []string{"https://elsewhere.internal"}
		for _, op := range []store.Op{
			&store.PutOp{Object: edit},
			&store.DeleteOp{Kind: store.KindRoute, ID: r.ID},
		} {
			err := f.rejects(actor, store.CodeFailedPrecondition, "", op)
			if err == nil || !strings.Contains(err.Error(), in.OriginRef) {
				t.Errorf("%s: error %v does not name %q", actor.Origin, err, in.OriginRef)
			}
		}
	}
	edit := store.Clone(got)
	edit.Spec.To = []string{"https://elsewhere.internal"}
	putAs(f, kubeActor, edit)
	if _, err := f.s.Apply(f.ctx, kubeActor, &store.DeleteOp{Kind: store.KindRoute, ID: r.ID}); err != nil {
		t.Errorf("delete by kubernetes: %v", err)
	}
}
