package exposure_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile"
	"github.com/pomerium-console/pomerium-console/server/api"
	"github.com/pomerium-console/pomerium-console/server/web/webtest"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// secret is one secret field of a spec, with the marker the test writes in
// it.
type secret struct {
	path   string
	marker string
}

// plant sets every secret field of m, at any depth, to a marker of its own
// (for a list, one element; for a map, one entry), and returns them. A
// message field is created on the way to the secrets below it.
func plant(m protoreflect.Message, path string) []secret {
	var out []secret
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		p := path + "." + string(fd.Name())
		if store.IsSecret(fd) {
			marker := "SECRET" + strings.ReplaceAll(strings.ToUpper(p), ".", "_")
			out = append(out, secret{p, marker})
			setMarker(m, fd, marker)
			continue
		}
		if fd.Message() == nil || fd.IsMap() || fd.Message().FullName().Parent() != "pomerium.config" {
			continue
		}
		if fd.IsList() {
			elem := m.Mutable(fd).List().AppendMutable().Message()
			if found := plant(elem, p+"[0]"); len(found) > 0 {
				out = append(out, found...)
			} else {
				m.Clear(fd)
			}
			continue
		}
		if fd.ContainingOneof() != nil && m.WhichOneof(fd.ContainingOneof()) != nil {
			continue // another member of the oneof holds secrets already
		}
		if found := plant(m.Mutable(fd).Message(), p); len(found) > 0 {
			out = append(out, found...)
		} else {
			m.Clear(fd)
		}
	}
	return out
}

func setMarker(m protoreflect.Message, fd protoreflect.FieldDescriptor, marker string) {
	value := func(kind protoreflect.Kind) protoreflect.Value {
		if kind == protoreflect.BytesKind {
			return protoreflect.ValueOfBytes([]byte(marker))
		}
		return protoreflect.ValueOfString(marker)
	}
	switch {
	case fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Struct":
		st, err := structpb.NewStruct(map[string]any{"key": marker})
		if err != nil {
			panic(err)
		}
		m.Set(fd, protoreflect.ValueOfMessage(st.ProtoReflect()))
	case fd.Message() != nil && !fd.IsMap():
		// A wrapper of strings (a StringList): the marker goes in its
		// first field that holds text.
		inner := m.Mutable(fd).Message()
		fields := inner.Descriptor().Fields()
		for i := range fields.Len() {
			if f := fields.Get(i); f.Kind() == protoreflect.StringKind && !f.IsMap() {
				setMarker(inner, f, marker)
				return
			}
		}
		panic(fmt.Sprintf("secret %s is a %s, which holds no text the test can fill", fd.FullName(), fd.Message().FullName()))
	case fd.IsMap():
		m.Mutable(fd).Map().Set(protoreflect.ValueOfString("key").MapKey(), value(fd.MapValue().Kind()))
	case fd.IsList():
		m.Mutable(fd).List().Append(value(fd.Kind()))
	default:
		m.Set(fd, value(fd.Kind()))
	}
}

// logBuffer keeps what the console logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		fmt.Fprintln(&l.b, prefix, args)
	}, funcr.Options{Verbosity: 10})
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// surfaces is the console's surfaces over one store, logging into logs.
type surfaces struct {
	t    *testing.T
	web  *webtest.Env
	api  *httptest.Server
	logs *logBuffer
}

// call calls the dashboard API with Connect's JSON as a user, and returns
// the answer's body.
func (s *surfaces) call(user, procedure, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodPost, s.api.URL+"/pomerium.dashboard."+procedure, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Pomerium-Jwt-Assertion", s.web.Assertion(user))
	res, err := s.api.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// waitForStatus waits until the reconciler has reported on an object.
func waitForStatus(t *testing.T, st store.Store, k store.Kind, id string) {
	t.Helper()
	sub := st.SubscribeStatus(t.Context())
	defer sub.Close()
	for {
		got, err := st.Status(t.Context(), k, id)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := got[id]; ok && s.State != store.SyncPending {
			return
		}
		select {
		case <-sub.C:
		case <-t.Context().Done():
			t.Fatalf("no status of %s %s", k, id)
		}
	}
}

// TestNoSurfaceShowsASecret writes a route and the settings with every
// field the store's secret table names set to a marker, then reads them
// back through every surface as every role: a marker must show only where
// the caller may read it (the dashboard API, to managers of a route's
// namespace and to admins of the Global namespace for the settings), and
// never in the activity log, the reconciler's findings, the web console's
// pages, its exports or the logs.
func TestNoSurfaceShowsASecret(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	st := storetest.Embedded(t, make([]byte, 32))
	env := webtest.New(t, st, webtest.Options{Logger: logs.logger()})
	apiServer := httptest.NewTLSServer(api.New(api.Options{App: env.App, Auth: env.Auth, Logger: logs.logger()}).Handler())
	t.Cleanup(apiServer.Close)
	s := &surfaces{t: t, web: env, api: apiServer, logs: logs}

	setup := store.Actor{Subject: "setup", Origin: store.OriginAPI}
	team, err := store.Put(t.Context(), st, setup, &store.Namespace{ObjectMeta: store.ObjectMeta{NamespaceID: store.GlobalNamespaceID, Name: "Team"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	const (
		viewer       = "viewer@example.com"
		manager      = "manager@example.com"
		globalViewer = "global-viewer@example.com"
	)
	env.Grant(store.RoleViewer, team.ID, store.SubjectUser, viewer)
	env.Grant(store.RoleManager, team.ID, store.SubjectUser, manager)
	env.Grant(store.RoleViewer, store.GlobalNamespaceID, store.SubjectUser, globalViewer)

	spec := &configpb.Route{From: "https://app.example.com", To: []string{"https://upstream.internal"}}
	routeSecrets := plant(spec.ProtoReflect(), "route")
	route, err := store.Put(t.Context(), st, setup, &store.Route{ObjectMeta: store.ObjectMeta{NamespaceID: team.ID, Name: "app"}, Spec: spec}, 0)
	if err != nil {
		t.Fatal(err)
	}
	settingsSpec := &configpb.Settings{}
	settingsSecrets := plant(settingsSpec.ProtoReflect(), "settings")
	if _, err := store.Put(t.Context(), st, setup, &store.Settings{Spec: proto.CloneOf(settingsSpec)}, 0); err != nil {
		t.Fatal(err)
	}
	if len(routeSecrets) < 4 || len(settingsSecrets) < 10 {
		t.Fatalf("planted %d route and %d settings secrets: the walk missed the table", len(routeSecrets), len(settingsSecrets))
	}
	// The reconciler compiles both (the settings, whose secrets are not
	// valid values, into an error status that every surface shows) and
	// logs what it does.
	loop := reconcile.New(reconcile.Options{Store: st, Client: webtest.Databroker(t), Instance: "exposure", Logger: logs.logger()})
	loopCtx, stopLoop := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan struct{})
	go func() { defer close(done); _ = loop.Run(loopCtx) }()
	t.Cleanup(func() { stopLoop(); <-done })
	waitForStatus(t, st, store.KindRoute, route.ID)
	waitForStatus(t, st, store.KindSettings, store.SettingsID)
	all := append(append([]secret(nil), routeSecrets...), settingsSecrets...)
	hidden := func(surface, body string, which []secret) {
		t.Helper()
		for _, sc := range which {
			if strings.Contains(body, sc.marker) {
				t.Errorf("%s shows %s", surface, sc.path)
			}
		}
	}
	shown := func(surface, body string, which []secret) {
		t.Helper()
		for _, sc := range which {
			if strings.Contains(body, sc.marker) {
				return
			}
		}
		t.Errorf("%s shows none of the secrets it may (the test would not see a leak)", surface)
	}

	// The dashboard API.
	getRoute := fmt.Sprintf(`{"id":%q}`, route.ID)
	listRoutes := fmt.Sprintf(`{"namespace":%q}`, team.ID)
	for _, user := range []string{viewer, globalViewer} {
		for proc, body := range map[string]string{"RouteService/GetRoute": getRoute, "RouteService/ListRoutes": listRoutes} {
			status, got := s.call(user, proc, body)
			if status != http.StatusOK {
				t.Fatalf("%s as %s: %d %s", proc, user, status, got)
			}
			hidden("API "+proc+" as "+user, got, all)
		}
	}
	_, got := s.call(manager, "RouteService/GetRoute", getRoute)
	shown("API GetRoute as manager", got, routeSecrets)
	for _, user := range []string{globalViewer, manager} {
		_, got := s.call(user, "SettingsService/GetSettings", `{}`)
		hidden("API GetSettings as "+user, got, all)
	}
	_, got = s.call(webtest.Admin, "SettingsService/GetSettings", `{}`)
	shown("API GetSettings as admin", got, settingsSecrets)

	// The activity log, as the admin who may read everything.
	_, got = s.call(webtest.Admin, "ActivityLogService/ListActivityLogEntries", `{}`)
	if !strings.Contains(got, route.ID) {
		t.Fatalf("the activity log lacks the route: %s", got)
	}
	hidden("API activity log", got, all)

	// The web console, as every role: its pages never carry a secret.
	for _, user := range []string{viewer, manager, globalViewer, webtest.Admin} {
		b := env.User(user)
		for _, path := range []string{
			"/routes?namespace=" + team.ID,
			"/routes/" + route.ID + "?tab=general", "/routes/" + route.ID + "?tab=headers", "/routes/" + route.ID + "?tab=tls",
			"/settings", "/activity?namespace=" + team.ID,
		} {
			hidden("page "+path+" as "+user, b.Get(path).Text(), all)
		}
	}
	// Exports, as viewers: they may read the route but not its secrets.
	for _, user := range []string{viewer, globalViewer} {
		b := env.User(user)
		for _, format := range []string{"yaml", "json"} {
			path := "/routes/export?" + url.Values{"namespace": {team.ID}, "format": {format}}.Encode()
			res := b.Get(path)
			if res.Status != http.StatusOK || !strings.Contains(res.Text(), "app.example.com") {
				t.Fatalf("export %s as %s: %d %s", format, user, res.Status, res.Text())
			}
			hidden("export "+format+" as "+user, res.Text(), all)
		}
		res := b.Get("/activity/export?" + url.Values{"namespace": {team.ID}, "format": {"json"}}.Encode())
		hidden("activity export as "+user, res.Text(), all)
	}

	// What the console logged meanwhile.
	if logs.String() == "" {
		t.Fatal("the console logged nothing: the test reads no logs")
	}
	hidden("the logs", logs.String(), all)
}
