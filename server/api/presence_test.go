package api_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// fieldPath leads from an object message of the API to one of its
// optional fields: the message fields on the way (a list is entered at
// its first element), then the field.
type fieldPath []protoreflect.FieldDescriptor

func (p fieldPath) String() string {
	names := make([]string, len(p))
	for i, fd := range p {
		names[i] = string(fd.Name())
	}
	return strings.Join(names, ".")
}

// dashboardPackage is the package whose messages the walk enters; the
// console's additions (pomerium.console.v1, fields from 1000) are output.
const dashboardPackage = "pomerium.dashboard"

// optionalFields lists every field declared optional in md and in the
// messages of the API it holds, at any depth.
func optionalFields(md protoreflect.MessageDescriptor) []fieldPath {
	var out []fieldPath
	var walk func(md protoreflect.MessageDescriptor, at fieldPath, seen []protoreflect.FullName)
	walk = func(md protoreflect.MessageDescriptor, at fieldPath, seen []protoreflect.FullName) {
		if md.ParentFile().Package() != dashboardPackage || slices.Contains(seen, md.FullName()) {
			return
		}
		seen = append(seen, md.FullName())
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			here := append(slices.Clone(at), fd)
			switch {
			case fd.Number() >= 1000:
			case fd.HasOptionalKeyword():
				out = append(out, here)
			case fd.Message() != nil && !fd.IsMap():
				walk(fd.Message(), here, seen)
			}
		}
	}
	walk(md, nil, nil)
	return out
}

// step enters the message a field of a path holds, making it (or the
// first element of its list) when make is set; nil when it is absent.
func step(m protoreflect.Message, fd protoreflect.FieldDescriptor, make bool) protoreflect.Message {
	switch {
	case fd.IsList() && m.Get(fd).List().Len() > 0:
		return m.Get(fd).List().Get(0).Message()
	case fd.IsList() && make:
		l := m.Mutable(fd).List()
		l.Append(l.NewElement())
		return l.Get(0).Message()
	case fd.IsList():
		return nil
	case make:
		return m.Mutable(fd).Message()
	case m.Has(fd):
		return m.Get(fd).Message()
	}
	return nil
}

// setZero sets the field at p to its zero value, making the messages on
// the way.
func setZero(m proto.Message, p fieldPath) {
	r := m.ProtoReflect()
	for _, fd := range p[:len(p)-1] {
		r = step(r, fd, true)
	}
	last := p[len(p)-1]
	r.Set(last, last.Default())
}

// clearAt clears the field at p, if the messages on the way are there.
func clearAt(m proto.Message, p fieldPath) {
	r := m.ProtoReflect()
	for _, fd := range p[:len(p)-1] {
		if r = step(r, fd, false); r == nil {
			return
		}
	}
	r.Clear(p[len(p)-1])
}

// present reports whether the field at p is set.
func present(m proto.Message, p fieldPath) bool {
	r := m.ProtoReflect()
	for _, fd := range p[:len(p)-1] {
		if r = step(r, fd, false); r == nil {
			return false
		}
	}
	return r.Has(p[len(p)-1])
}

// presenceDriver writes the objects of one message of the API and reads
// them back in every way the API reads them.
type presenceDriver struct {
	// base is a valid object that sets no optional field; n makes it
	// unique among those of one test.
	base func(n int) proto.Message
	// write creates the object (no id) or replaces it, and returns it as
	// the write answers.
	write func(ctx context.Context, m proto.Message) (proto.Message, error)
	// reads reads the object with an id, by name of the way.
	reads func(ctx context.Context, id string) (map[string]proto.Message, error)
	// logged reads the snapshot of the object with an id that the
	// activity log took at its last write.
	logged func(ctx context.Context, id string) (string, error)
}

// idOf is the id of an object of the API.
func idOf(m proto.Message) string {
	return m.ProtoReflect().Get(m.ProtoReflect().Descriptor().Fields().ByName("id")).String()
}

// presenceDrivers are the writable objects of the API whose messages have
// optional fields, by full name.
func (e *env) presenceDrivers(transport string) map[protoreflect.FullName]presenceDriver {
	token := e.adminToken()
	routes, settings := e.routeAPI(transport, token), e.settingsAPI(transport, token)
	namespaces, activity := e.namespaceAPI(transport, token), e.activityAPI(transport, token)
	logged := func(ctx context.Context, id string) (string, error) {
		res, err := activity.list(ctx, &pb.ListActivityLogEntriesRequest{EntityId: &id, Limit: new(int64(1))})
		if err != nil || len(res.Entries) == 0 {
			return "", fmt.Errorf("the activity log of %s: %d entries, %w", id, len(res.GetEntries()), err)
		}
		return res.Entries[0].EntityData, nil
	}
	drivers := map[protoreflect.FullName]presenceDriver{
		"pomerium.dashboard.Route": {
			base: func(n int) proto.Message {
				return newRoute(store.GlobalNamespaceID, fmt.Sprint("route-", n), fmt.Sprintf("https://r%d.example.com", n))
			},
			write: func(ctx context.Context, m proto.Message) (proto.Message, error) {
				res, err := routes.set(ctx, &pb.SetRouteRequest{Route: m.(*pb.Route)})
				return res.GetRoute(), err
			},
			reads: func(ctx context.Context, id string) (map[string]proto.Message, error) {
				got, err := routes.get(ctx, &pb.GetRouteRequest{Id: id})
				if err != nil {
					return nil, err
				}
				list, err := routes.list(ctx, &pb.ListRoutesRequest{Namespace: store.GlobalNamespaceID, Query: new(got.Route.Name)})
				if err != nil {
					return nil, err
				}
				return map[string]proto.Message{"GetRoute": got.Route, "ListRoutes": only(list.Routes, id)}, nil
			},
		},
		"pomerium.dashboard.Settings": {
			base: func(int) proto.Message { return &pb.Settings{} },
			write: func(ctx context.Context, m proto.Message) (proto.Message, error) {
				res, err := settings.set(ctx, &pb.SetSettingsRequest{Settings: m.(*pb.Settings)})
				return res.GetSettings(), err
			},
			reads: func(ctx context.Context, _ string) (map[string]proto.Message, error) {
				got, err := settings.get(ctx, &pb.GetSettingsRequest{})
				return map[string]proto.Message{"GetSettings": got.GetSettings()}, err
			},
		},
		"pomerium.dashboard.Namespace": {
			base: func(n int) proto.Message {
				return &pb.Namespace{ParentId: store.GlobalNamespaceID, Name: fmt.Sprint("namespace-", n)}
			},
			write: func(ctx context.Context, m proto.Message) (proto.Message, error) {
				res, err := namespaces.set(ctx, &pb.SetNamespaceRequest{Namespace: m.(*pb.Namespace)})
				return res.GetNamespace(), err
			},
			reads: func(ctx context.Context, id string) (map[string]proto.Message, error) {
				got, err := namespaces.get(ctx, &pb.GetNamespaceRequest{Id: id})
				if err != nil {
					return nil, err
				}
				list, err := namespaces.list(ctx, &pb.ListNamespacesRequest{})
				if err != nil {
					return nil, err
				}
				return map[string]proto.Message{"GetNamespace": got.Namespace, "ListNamespaces": only(list.Namespaces, id)}, nil
			},
		},
	}
	for name, d := range drivers {
		d.logged = logged
		drivers[name] = d
	}
	return drivers
}

// presencePending are the writable objects whose optional fields do not
// keep their presence yet, with why.
var presencePending = map[protoreflect.FullName]string{
	"pomerium.dashboard.PomeriumServiceAccount": "description and originator_id set to \"\" read back unset: " +
		"the store's account does not keep them as explicit (store.Route.Explicit and its kin) and " +
		"manage.SetServiceAccount rebuilds the account from the stored one",
}

// only is the object with an id among those of a list; nil if it is not
// there.
func only[T proto.Message](list []T, id string) proto.Message {
	for _, m := range list {
		if idOf(m) == id {
			return m
		}
	}
	return nil
}

// TestOptionalFieldsKeepPresence walks every optional field of every
// object message a client writes: set to its zero value, it reads back
// set from the write's answer and every read (and after writing back what
// was read); cleared, it reads back unset; an object that never set it
// reads it unset. A zero value that is not valid input may be refused
// instead, naming the field.
func TestOptionalFieldsKeepPresence(t *testing.T) {
	t.Parallel()
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			drivers := e.presenceDrivers(transport)
			for _, md := range writableObjects(t, e) {
				d, ok := drivers[md.FullName()]
				if reason, pending := presencePending[md.FullName()]; pending {
					t.Logf("%s is not covered yet: %s", md.FullName(), reason)
					continue
				}
				if !ok {
					t.Errorf("%s has optional fields %v and no driver in this test", md.FullName(), optionalFields(md))
					continue
				}
				t.Run(string(md.Name()), func(t *testing.T) {
					n := 0
					unique := func() proto.Message { n++; return d.base(n) }
					checkUnset(t, e.ctx, d, unique(), optionalFields(md))
					for _, p := range optionalFields(md) {
						t.Run(p.String(), func(t *testing.T) { checkPresence(t, e.ctx, d, unique(), p) })
					}
				})
			}
		})
	}
}

// checkUnset writes an object that sets no optional field and requires
// every one of them unset wherever it is read.
func checkUnset(t *testing.T, ctx context.Context, d presenceDriver, in proto.Message, paths []fieldPath) {
	t.Helper()
	got, err := d.write(ctx, in)
	if err != nil {
		t.Fatalf("write an object without optional fields: %v", err)
	}
	views := readAll(t, ctx, d, got)
	for _, p := range paths {
		for way, m := range views {
			if present(m, p) {
				t.Errorf("%s: %s is set though the client never set it: %v", way, p, m)
			}
		}
	}
}

// checkPresence sets the field at p to its zero value in in, writes it
// and reads it back; then writes back what it read; then clears it.
func checkPresence(t *testing.T, ctx context.Context, d presenceDriver, in proto.Message, p fieldPath) {
	setZero(in, p)
	got, err := d.write(ctx, in)
	if err != nil {
		if codeOf(err) == connect.CodeInvalidArgument && strings.Contains(err.Error(), "."+p.String()+": ") {
			// The value is refused, naming the field: the client learns
			// that it cannot have it, which is not a loss of presence.
			t.Logf("the zero value is refused: %v", err)
			return
		}
		t.Fatalf("write with %s set to its zero value: %v", p, err)
	}
	wantPresent(t, "the write's answer", got, p, true)
	logged := snapshot(t, ctx, d, got)
	views := readAll(t, ctx, d, got)
	for way, m := range views {
		wantPresent(t, way, m, p, true)
	}
	read := views[slices.Sorted(maps.Keys(views))[0]]
	again, err := d.write(ctx, proto.Clone(read))
	if err != nil {
		t.Fatalf("write back what was read: %v", err)
	}
	wantPresent(t, "the answer to writing back what was read", again, p, true)
	cleared := proto.Clone(again)
	clearAt(cleared, p)
	if got, err = d.write(ctx, cleared); err != nil {
		t.Fatalf("write with %s cleared: %v", p, err)
	}
	wantPresent(t, "the answer to clearing it", got, p, false)
	for way, m := range readAll(t, ctx, d, got) {
		wantPresent(t, way+" after clearing it", m, p, false)
	}
	// The activity log tells the field set to its zero value from unset.
	if cleared := snapshot(t, ctx, d, got); cleared == logged {
		t.Errorf("the activity log's snapshot is the same with %s set and cleared:\n%s", p, logged)
	}
}

// snapshot is what the activity log took of an object at its last write.
func snapshot(t *testing.T, ctx context.Context, d presenceDriver, written proto.Message) string {
	t.Helper()
	data, err := d.logged(ctx, idOf(written))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readAll(t *testing.T, ctx context.Context, d presenceDriver, written proto.Message) map[string]proto.Message {
	t.Helper()
	views, err := d.reads(ctx, idOf(written))
	if err != nil {
		t.Fatalf("read back %s: %v", idOf(written), err)
	}
	for way, m := range views {
		if m == nil {
			t.Fatalf("%s does not list %s", way, idOf(written))
		}
	}
	return views
}

func wantPresent(t *testing.T, way string, m proto.Message, p fieldPath, want bool) {
	t.Helper()
	if got := present(m, p); got != want {
		t.Errorf("%s: %s set = %v, want %v: %v", way, p, got, want, m)
	}
}

// writableObjects are the messages a client writes through the API (the
// message fields of the requests of its Set, Add, Create and Update
// methods) that have optional fields, but those of the services the
// console does not implement, which it asks the server.
func writableObjects(t *testing.T, e *env) []protoreflect.MessageDescriptor {
	t.Helper()
	seen := map[protoreflect.FullName]bool{}
	var out []protoreflect.MessageDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage(dashboardPackage, func(fd protoreflect.FileDescriptor) bool {
		services := fd.Services()
		for i := range services.Len() {
			methods := services.Get(i).Methods()
			for j := range methods.Len() {
				m := methods.Get(j)
				if !writes(m) || !e.implements(m) {
					continue
				}
				fields := m.Input().Fields()
				for k := range fields.Len() {
					obj := fields.Get(k).Message()
					if obj == nil || obj.ParentFile().Package() != dashboardPackage || seen[obj.FullName()] || len(optionalFields(obj)) == 0 {
						continue
					}
					seen[obj.FullName()] = true
					out = append(out, obj)
				}
			}
		}
		return true
	})
	slices.SortFunc(out, func(a, b protoreflect.MessageDescriptor) int {
		return strings.Compare(string(a.FullName()), string(b.FullName()))
	})
	if len(out) == 0 {
		t.Fatal("found no writable object with optional fields")
	}
	return out
}

func writes(m protoreflect.MethodDescriptor) bool {
	for _, verb := range []string{"Set", "Add", "Create", "Update"} {
		if strings.HasPrefix(string(m.Name()), verb) {
			return true
		}
	}
	return false
}

// implements asks the server whether it implements a method: it calls it
// with an empty request, without credentials.
func (e *env) implements(m protoreflect.MethodDescriptor) bool {
	e.t.Helper()
	in, err := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := protoregistry.GlobalTypes.FindMessageByName(m.Output().FullName())
	if err != nil {
		e.t.Fatal(err)
	}
	method := "/" + string(m.Parent().FullName()) + "/" + string(m.Name())
	err = e.conn.Invoke(e.ctx, method, in.New().Interface(), out.New().Interface())
	return codeOf(err) != connect.CodeUnimplemented
}
