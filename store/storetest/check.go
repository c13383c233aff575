package storetest

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/store"
)

// cmpOpts compares store values: routes and settings carry protobuf
// messages, and a backend may return nil where another returns an empty
// slice.
var cmpOpts = cmp.Options{protocmp.Transform(), cmpopts.EquateEmpty()}

// wantError checks that err is a store error with code and, unless field is
// empty, that it names field.
func wantError(t testing.TB, err error, code store.Code, field string) {
	t.Helper()
	if got := store.CodeOf(err); got != code {
		t.Errorf("error = %v (code %q), want code %q", err, got, code)
		return
	}
	var e *store.Error
	if field != "" && errors.As(err, &e) && e.Field != field {
		t.Errorf("error = %v names field %q, want %q", err, e.Field, field)
	}
}

// snapshot is everything a rejected write must leave as it was.
type snapshot struct {
	version  int64
	state    *store.State
	changes  *store.ChangeSet
	activity int
	objects  map[string]store.Object
}

// snapshot reads the whole store, and each object named by ops in full.
func (f *fixture) snapshot(ops ...store.Op) snapshot {
	f.t.Helper()
	var s snapshot
	var err error
	s.version = f.version()
	if s.state, err = f.s.Load(f.ctx); err != nil {
		f.t.Fatalf("load: %v", err)
	}
	if s.changes, err = f.s.Changes(f.ctx, 0, 0); err != nil {
		f.t.Fatalf("changes: %v", err)
	}
	page, err := f.s.Activity(f.ctx, store.ActivityQuery{Limit: 1})
	if err != nil {
		f.t.Fatalf("activity: %v", err)
	}
	s.activity = page.TotalCount
	s.objects = map[string]store.Object{}
	for _, op := range ops {
		kind, id := opTarget(op)
		if id == "" || !store.ValidID(id) {
			continue
		}
		obj, err := f.s.Get(f.ctx, kind, id, store.WithSecrets())
		if err != nil && store.CodeOf(err) != store.CodeNotFound {
			f.t.Fatalf("get %s %s: %v", kind, id, err)
		}
		s.objects[string(kind)+"/"+id] = obj
	}
	return s
}

func opTarget(op store.Op) (store.Kind, string) {
	switch op := op.(type) {
	case *store.PutOp:
		if op.Object == nil {
			return "", ""
		}
		return op.Object.Kind(), op.Object.GetObjectMeta().ID
	case *store.DeleteOp:
		return op.Kind, op.ID
	}
	return "", ""
}

// unchanged fails the test if the store differs from before.
func (f *fixture) unchanged(before snapshot, ops ...store.Op) {
	f.t.Helper()
	after := f.snapshot(ops...)
	if after.version != before.version {
		f.t.Errorf("store version moved from %d to %d", before.version, after.version)
	}
	if diff := cmp.Diff(before.state, after.state, cmpOpts); diff != "" {
		f.t.Errorf("Load changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.changes, after.changes, cmpOpts); diff != "" {
		f.t.Errorf("Changes changed (-before +after):\n%s", diff)
	}
	if after.activity != before.activity {
		f.t.Errorf("activity log grew from %d to %d entries", before.activity, after.activity)
	}
	if diff := cmp.Diff(before.objects, after.objects, cmpOpts); diff != "" {
		f.t.Errorf("re-read objects changed (-before +after):\n%s", diff)
	}
}

// rejects applies ops as actor, wants a store error with code and field, and
// checks that the store did not change. It returns the error for further
// checks.
func (f *fixture) rejects(actor store.Actor, code store.Code, field string, ops ...store.Op) error {
	f.t.Helper()
	before := f.snapshot(ops...)
	objs, err := f.s.Apply(f.ctx, actor, ops...)
	if err == nil {
		f.t.Errorf("apply succeeded with %d objects, want error code %q", len(objs), code)
	} else {
		wantError(f.t, err, code, field)
	}
	f.unchanged(before, ops...)
	return err
}

// rejectsPut is rejects for one put as the API actor.
func (f *fixture) rejectsPut(obj store.Object, code store.Code, field string) error {
	f.t.Helper()
	return f.rejects(apiActor, code, field, &store.PutOp{Object: obj})
}

// rejectsDelete is rejects for one delete as the API actor.
func (f *fixture) rejectsDelete(op store.DeleteOp, code store.Code, field string) error {
	f.t.Helper()
	return f.rejects(apiActor, code, field, &op)
}

// wantNotFound checks that kind/id cannot be read.
func (f *fixture) wantNotFound(kind store.Kind, id string) {
	f.t.Helper()
	obj, err := f.s.Get(f.ctx, kind, id)
	if err == nil {
		f.t.Errorf("get %s %s = %+v, want not found", kind, id, obj)
		return
	}
	wantError(f.t, err, store.CodeNotFound, "")
}

// waitClockPast returns once the wall clock is clearly past ts, so that the
// next write gets a later timestamp even on a backend with millisecond
// resolution. It polls the clock rather than sleeping a guessed duration.
func waitClockPast(t testing.TB, ts time.Time) {
	t.Helper()
	target := ts.Add(2 * time.Millisecond)
	deadline := time.Now().Add(time.Second)
	for !time.Now().After(target) {
		if time.Now().After(deadline) {
			t.Fatalf("clock did not pass %v", target)
		}
		runtime.Gosched()
	}
}

// ids returns the ids of objects, in order.
func ids[T store.Object](objs []T) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.GetObjectMeta().ID
	}
	return out
}

// assertEqual reports a difference between want and got.
func assertEqual(t testing.TB, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}
