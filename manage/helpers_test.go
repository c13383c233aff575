package manage

import (
	"context"
	"errors"
	"testing"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// allowAll is PPL that allows everyone.
const allowAll = "allow:\n  or:\n    - accept: true\n"

// fixture is one test's use cases over an embedded store, with helpers to
// set the scene directly in the store.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	store store.Store
	app   *App
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.Embedded(t, make([]byte, 32))
	return &fixture{t: t, ctx: t.Context(), store: st, app: New(Options{Store: st, Logger: logr.Discard()})}
}

// setup is how the scene is written: straight into the store.
var setup = store.Actor{Subject: "test", Origin: store.OriginAPI}

func put[T store.Object](f *fixture, obj T) T {
	f.t.Helper()
	out, err := store.Put(f.ctx, f.store, setup, obj, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) namespace(parent, name string) *store.Namespace {
	return put(f, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: parent, Name: name}})
}

func (f *fixture) policy(ns, name string, enforced bool) *store.Policy {
	return put(f, &store.Policy{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}, PPL: allowAll, Enforced: enforced})
}

func (f *fixture) route(ns, name string, spec *configpb.Route) *store.Route {
	if spec == nil {
		spec = &configpb.Route{}
	}
	if spec.From == "" {
		spec.From = "https://" + name + ".example.com"
	}
	if len(spec.To) == 0 {
		spec.To = []string{"https://upstream.internal"}
	}
	return put(f, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: ns, Name: name}, Spec: spec})
}

func (f *fixture) grant(ns, user string, role store.Role) {
	put(f, &store.NamespacePermission{ObjectMeta: store.ObjectMeta{NamespaceID: ns}, SubjectType: store.SubjectUser, SubjectID: user, Role: role})
}

// caller reads a caller with user id (and email) user.
func (f *fixture) caller(user string) *Caller {
	f.t.Helper()
	c, err := f.app.Caller(f.ctx, Identity{Subject: user, UserID: user}, store.OriginAPI)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// admin is a Global admin.
func (f *fixture) admin() *Caller {
	f.t.Helper()
	c, err := f.app.Caller(f.ctx, Identity{Subject: "admin@example.com", Administrator: true}, store.OriginAPI)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// wantRefusal fails unless err is a refusal with code and field.
func wantRefusal(t *testing.T, what string, err error, code Code, field string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: %v (%T), want a refusal %s", what, err, err, code)
	}
	if e.Code != code || e.Field != field {
		t.Fatalf("%s: refusal %s about %q (%v), want %s about %q", what, e.Code, e.Field, e, code, field)
	}
	return e
}

// once runs fn before the next write of the use cases only.
func (f *fixture) once(fn func()) {
	done := false
	f.app.beforeWrite = func(context.Context) {
		if !done {
			done = true
			fn()
		}
	}
}
