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

// dashboardPackage is the package of the dashboard API's messages.
const dashboardPackage = "pomerium.dashboard"

// optionalFields lists every field declared optional in md and in the
// messages of its package it holds, at any depth. Other packages (the
// console's additions in pomerium.console.v1, the well-known types) and
// fields from 1000 (the console's additions) are output only.
func optionalFields(md protoreflect.MessageDescriptor) []fieldPath {
	var out []fieldPath
	pkg := md.ParentFile().Package()
	var walk func(md protoreflect.MessageDescriptor, at fieldPath, seen []protoreflect.FullName)
	walk = func(md protoreflect.MessageDescriptor, at fieldPath, seen []protoreflect.FullName) {
		if md.ParentFile().Package() != pkg || slices.Contains(seen, md.FullName()) {
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

// presenceDriver writes the objects of one message of an API and reads
// them back in every way the API reads them.
type presenceDriver struct {
	// filled are the optional fields the server fills in every object it
	// answers with (its id, its namespace, where it came from, what is
	// computed from other fields), by path: they are always set.
	filled []string
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

// calls are an API's calls on the objects of one message, typed.
type calls[T proto.Message] struct {
	filled []string
	base   func(n int) T
	// set creates an object without an id and replaces one with.
	set func(ctx context.Context, m T) (T, error)
	// get reads an object; list reads the objects among which it is.
	get  func(ctx context.Context, id string) (T, error)
	list func(ctx context.Context, m T) ([]T, error)
	// getName and listName name the calls, as reads does.
	getName, listName string
}

// driver is a presenceDriver making these calls; its activity log is
// read through activity.
func (c calls[T]) driver(activity activityAPI) presenceDriver {
	return presenceDriver{
		filled: c.filled,
		base:   func(n int) proto.Message { return c.base(n) },
		write:  func(ctx context.Context, m proto.Message) (proto.Message, error) { return c.set(ctx, m.(T)) },
		reads: func(ctx context.Context, id string) (map[string]proto.Message, error) {
			got, err := c.get(ctx, id)
			if err != nil {
				return nil, err
			}
			views := map[string]proto.Message{c.getName: got}
			if c.list != nil {
				all, err := c.list(ctx, got)
				if err != nil {
					return nil, err
				}
				views[c.listName] = only(all, id)
			}
			return views, nil
		},
		logged: func(ctx context.Context, id string) (string, error) { return lastSnapshot(ctx, activity, id) },
	}
}

// presenceDrivers are the writable objects of the API whose messages have
// optional fields, by full name.
func (e *env) presenceDrivers(transport string) map[protoreflect.FullName]presenceDriver {
	token := e.adminToken()
	routes, settings := e.routeAPI(transport, token), e.settingsAPI(transport, token)
	namespaces, accounts := e.namespaceAPI(transport, token), e.serviceAccountAPI(transport, token)
	activity := e.activityAPI(transport, token)
	clusters := e.clusterAPI(transport, token)
	sources := e.dataSourceAPI(transport, token)
	devices := e.deviceAPI(transport, token, "")
	return map[protoreflect.FullName]presenceDriver{
		"pomerium.dashboard.DeviceType": calls[*pb.DeviceType]{
			base: func(n int) *pb.DeviceType {
				return &pb.DeviceType{Name: fmt.Sprint("type-", n), Specifier: &pb.DeviceType_Webauthn{Webauthn: &pb.DeviceType_WebAuthn{Options: &pb.WebAuthnOptions{
					PubKeyCredParams: []*pb.WebAuthnOptions_PublicKeyCredentialParameters{{Type: pb.WebAuthnOptions_PUBLIC_KEY, Alg: -7}},
				}}}}
			},
			set: func(ctx context.Context, t *pb.DeviceType) (*pb.DeviceType, error) {
				res, err := devices.setType(ctx, &pb.SetDeviceTypeRequest{Type: t})
				return res.GetType(), err
			},
			get: func(ctx context.Context, id string) (*pb.DeviceType, error) {
				res, err := devices.types(ctx, &pb.ListDeviceTypesRequest{})
				t, _ := only(res.GetTypes(), id).(*pb.DeviceType)
				return t, err
			},
			getName: "ListDeviceTypes",
		}.driver(activity),
		"pomerium.dashboard.DeviceEnrollment": calls[*pb.DeviceEnrollment]{
			// Every enrollment belongs to a cluster, the default one when it
			// names none.
			filled: []string{"cluster_id"},
			base:   func(n int) *pb.DeviceEnrollment { return &pb.DeviceEnrollment{UserId: fmt.Sprint("user-", n)} },
			// An enrollment is only ever created: writing one back creates
			// another, read by the id the answer gives it.
			set: func(ctx context.Context, en *pb.DeviceEnrollment) (*pb.DeviceEnrollment, error) {
				fresh := proto.Clone(en).(*pb.DeviceEnrollment)
				fresh.Id = ""
				res, err := devices.enroll(ctx, &pb.CreateDeviceEnrollmentRequest{Enrollment: fresh, RouteUrl: "https://app.example.com"})
				return res.GetEnrollment(), err
			},
			get: func(ctx context.Context, id string) (*pb.DeviceEnrollment, error) {
				res, err := devices.list(ctx, &pb.ListDevicesRequest{})
				for _, d := range res.GetDevices() {
					if d.GetEnrollment().GetId() == id {
						return d.GetEnrollment(), nil
					}
				}
				return nil, err
			},
			getName: "ListDevices",
		}.driver(activity),
		"pomerium.dashboard.ExternalDataSource": calls[*pb.ExternalDataSource]{
			// Every data source belongs to a cluster, the default one
			// when it names none.
			filled: []string{"cluster_id"},
			base:   func(n int) *pb.ExternalDataSource { return newDataSource(fmt.Sprint("example.com/Type", n)) },
			set: func(ctx context.Context, d *pb.ExternalDataSource) (*pb.ExternalDataSource, error) {
				res, err := sources.set(ctx, &pb.SetExternalDataSourceRequest{ExternalDataSource: d})
				return res.GetExternalDataSource(), err
			},
			get: func(ctx context.Context, id string) (*pb.ExternalDataSource, error) {
				res, err := sources.get(ctx, &pb.GetExternalDataSourceRequest{Id: id})
				return res.GetExternalDataSource(), err
			},
			list: func(ctx context.Context, _ *pb.ExternalDataSource) ([]*pb.ExternalDataSource, error) {
				res, err := sources.list(ctx, &pb.ListExternalDataSourcesRequest{})
				return res.GetExternalDataSources(), err
			},
			getName: "GetExternalDataSource", listName: "ListExternalDataSources",
		}.driver(activity),
		"pomerium.dashboard.Cluster": calls[*pb.Cluster]{
			base: func(n int) *pb.Cluster { return newCluster(fmt.Sprint("cluster-", n)) },
			set: func(ctx context.Context, c *pb.Cluster) (*pb.Cluster, error) {
				if c.Id == "" {
					res, err := clusters.add(ctx, &pb.AddClusterRequest{Cluster: c})
					return res.GetCluster(), err
				}
				res, err := clusters.update(ctx, &pb.UpdateClusterRequest{Cluster: c})
				return res.GetCluster(), err
			},
			get: func(ctx context.Context, id string) (*pb.Cluster, error) {
				res, err := clusters.get(ctx, &pb.GetClusterRequest{Id: id})
				return res.GetCluster(), err
			},
			list: func(ctx context.Context, _ *pb.Cluster) ([]*pb.Cluster, error) {
				res, err := clusters.list(ctx, &pb.ListClustersRequest{})
				return res.GetClusters(), err
			},
			getName: "GetCluster", listName: "ListClusters",
		}.driver(activity),
		"pomerium.dashboard.Route": calls[*pb.Route]{
			base: func(n int) *pb.Route {
				return newRoute(store.GlobalNamespaceID, fmt.Sprint("route-", n), fmt.Sprintf("https://r%d.example.com", n))
			},
			set: func(ctx context.Context, r *pb.Route) (*pb.Route, error) {
				res, err := routes.set(ctx, &pb.SetRouteRequest{Route: r})
				return res.GetRoute(), err
			},
			get: func(ctx context.Context, id string) (*pb.Route, error) {
				res, err := routes.get(ctx, &pb.GetRouteRequest{Id: id})
				return res.GetRoute(), err
			},
			list: func(ctx context.Context, r *pb.Route) ([]*pb.Route, error) {
				res, err := routes.list(ctx, &pb.ListRoutesRequest{Namespace: store.GlobalNamespaceID, Query: new(r.Name)})
				return res.GetRoutes(), err
			},
			getName: "GetRoute", listName: "ListRoutes",
		}.driver(activity),
		"pomerium.dashboard.Settings": calls[*pb.Settings]{
			base: func(int) *pb.Settings { return &pb.Settings{} },
			set: func(ctx context.Context, s *pb.Settings) (*pb.Settings, error) {
				res, err := settings.set(ctx, &pb.SetSettingsRequest{Settings: s})
				return res.GetSettings(), err
			},
			get: func(ctx context.Context, _ string) (*pb.Settings, error) {
				res, err := settings.get(ctx, &pb.GetSettingsRequest{})
				return res.GetSettings(), err
			},
			getName: "GetSettings",
		}.driver(activity),
		"pomerium.dashboard.Namespace": calls[*pb.Namespace]{
			base: func(n int) *pb.Namespace {
				return &pb.Namespace{ParentId: store.GlobalNamespaceID, Name: fmt.Sprint("namespace-", n)}
			},
			set: func(ctx context.Context, ns *pb.Namespace) (*pb.Namespace, error) {
				res, err := namespaces.set(ctx, &pb.SetNamespaceRequest{Namespace: ns})
				return res.GetNamespace(), err
			},
			get: func(ctx context.Context, id string) (*pb.Namespace, error) {
				res, err := namespaces.get(ctx, &pb.GetNamespaceRequest{Id: id})
				return res.GetNamespace(), err
			},
			list: func(ctx context.Context, _ *pb.Namespace) ([]*pb.Namespace, error) {
				res, err := namespaces.list(ctx, &pb.ListNamespacesRequest{})
				return res.GetNamespaces(), err
			},
			getName: "GetNamespace", listName: "ListNamespaces",
		}.driver(activity),
		"pomerium.dashboard.PomeriumServiceAccount": calls[*pb.PomeriumServiceAccount]{
			// The user an account acts as is its own id when none is chosen.
			filled: []string{"user_id"},
			base: func(int) *pb.PomeriumServiceAccount {
				return &pb.PomeriumServiceAccount{NamespaceId: new(store.GlobalNamespaceID)}
			},
			set: func(ctx context.Context, sa *pb.PomeriumServiceAccount) (*pb.PomeriumServiceAccount, error) {
				res, err := accounts.set(ctx, &pb.SetPomeriumServiceAccountRequest{ServiceAccount: sa})
				return res.GetServiceAccount(), err
			},
			get: func(ctx context.Context, id string) (*pb.PomeriumServiceAccount, error) {
				res, err := accounts.get(ctx, &pb.GetPomeriumServiceAccountRequest{Id: id})
				return res.GetServiceAccount(), err
			},
			list: func(ctx context.Context, _ *pb.PomeriumServiceAccount) ([]*pb.PomeriumServiceAccount, error) {
				res, err := accounts.list(ctx, &pb.ListPomeriumServiceAccountsRequest{Namespace: store.GlobalNamespaceID})
				return res.GetServiceAccounts(), err
			},
			getName: "GetPomeriumServiceAccount", listName: "ListPomeriumServiceAccounts",
		}.driver(activity),
	}
}

// lastSnapshot is the snapshot the activity log took of an object at its
// last write.
func lastSnapshot(ctx context.Context, activity activityAPI, id string) (string, error) {
	res, err := activity.list(ctx, &pb.ListActivityLogEntriesRequest{EntityId: &id, Limit: new(int64(1))})
	if err != nil || len(res.Entries) == 0 {
		return "", fmt.Errorf("the activity log of %s: %d entries, %w", id, len(res.GetEntries()), err)
	}
	return res.Entries[0].EntityData, nil
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
				if !ok {
					t.Errorf("%s has optional fields %v and no driver in this test", md.FullName(), optionalFields(md))
					continue
				}
				t.Run(string(md.Name()), func(t *testing.T) { checkObject(t, e.ctx, d, md) })
			}
		})
	}
}

// checkObject checks every optional field of the objects of one message
// (checkPresence), and that an object setting none but those its base
// needs reads back every other unset. The fields the server fills are
// always set.
func checkObject(t *testing.T, ctx context.Context, d presenceDriver, md protoreflect.MessageDescriptor) {
	n := 0
	unique := func() proto.Message { n++; return d.base(n) }
	base := unique()
	got, err := d.write(ctx, base)
	if err != nil {
		t.Fatalf("write an object without optional fields: %v", err)
	}
	views := readAll(t, ctx, d, got)
	for _, p := range optionalFields(md) {
		if slices.Contains(d.filled, p.String()) {
			continue
		}
		for way, m := range views {
			if !present(base, p) && present(m, p) {
				t.Errorf("%s: %s is set though the client never set it: %v", way, p, m)
			}
		}
	}
	for _, p := range optionalFields(md) {
		if !slices.Contains(d.filled, p.String()) {
			t.Run(p.String(), func(t *testing.T) { checkPresence(t, ctx, d, unique(), p) })
		}
	}
}

// checkPresence sets the field at p to its zero value in in, writes it
// and reads it back; then writes back what it read; then clears it.
func checkPresence(t *testing.T, ctx context.Context, d presenceDriver, in proto.Message, p fieldPath) {
	setZero(in, p)
	got, err := d.write(ctx, in)
	if err != nil {
		if codeOf(err) == connect.CodeInvalidArgument && namesPath(err, p) {
			// The value is refused, naming the field or a message on the
			// way to it: the client learns that it cannot have it, which
			// is not a loss of presence.
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

// namesPath reports whether an error names the field at p, or a message
// on the way to it ("route.policies: inline policies are not supported").
func namesPath(err error, p fieldPath) bool {
	for i := range p {
		if strings.Contains(err.Error(), "."+p[:i+1].String()+": ") {
			return true
		}
	}
	return false
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
