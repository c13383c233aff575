package datasource

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pomerium-console/pomerium-console/store"
)

const usersJSON = `[{"id": "u1", "email": "a@example.com", "groups": ["admins"]}, {"id": 2, "email": "b@example.com"}]`

// withUsers is a world whose one data source has fetched usersJSON
// into records of type example.com/User.
func withUsers(t *testing.T) (*env, *server, *store.DataSource) {
	t.Helper()
	e := newEnv(t, loopback, Limits{})
	srv := newServer(t)
	srv.serve(http.StatusOK, "application/json", usersJSON)
	d := e.addSource(srv.URL, "example.com/User", "id")
	e.step(d.ID)
	return e, srv, d
}

func TestFetchFormats(t *testing.T) {
	t.Parallel()
	for name, serve := range map[string]func(*testing.T, *server){
		"json":         func(_ *testing.T, s *server) { s.serve(http.StatusOK, "application/json", usersJSON) },
		"json sniffed": func(_ *testing.T, s *server) { s.serve(http.StatusOK, "text/plain", "\n  "+usersJSON) },
		"csv": func(_ *testing.T, s *server) {
			s.serve(http.StatusOK, "text/csv", "id,email\nu1,a@example.com\n2,b@example.com\n")
		},
		"csv sniffed with BOM": func(_ *testing.T, s *server) {
			s.serve(http.StatusOK, "", "\xef\xbb\xbfid,email\nu1,a@example.com\n2,b@example.com\n")
		},
		"gzip by header": func(t *testing.T, s *server) { s.serveGzip(t, "application/json", usersJSON, true) },
		"gzip by magic": func(t *testing.T, s *server) {
			s.serveGzip(t, "application/gzip", "id,email\nu1,a@example.com\n2,b@example.com\n", false)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, loopback, Limits{})
			srv := newServer(t)
			serve(t, srv)
			d := e.addSource(srv.URL, "example.com/User", "id")
			st := e.step(d.ID)
			if st.LastError != "" || st.Records != 2 || st.LastSuccess.IsZero() {
				t.Fatalf("status: %+v", st)
			}
			if !slices.Contains(st.Fields, "email") || !slices.Contains(st.Fields, "id") {
				t.Errorf("fields: %v", st.Fields)
			}
			got := e.records("example.com/User")
			if len(got) != 2 || got["u1"] == nil || got["2"] == nil {
				t.Fatalf("records: %v", slices.Collect(maps.Keys(got)))
			}
			if email := fields(t, got["u1"])["email"]; email != "a@example.com" {
				t.Errorf("u1's email: %v", email)
			}
			if srv.auth != "Bearer t0k3n" {
				t.Errorf("the fetch sent Authorization %q", srv.auth)
			}
		})
	}
}

func TestFailedFetchChangesNothingAndRecovers(t *testing.T) {
	t.Parallel()
	e, srv, d := withUsers(t)
	before := e.records("example.com/User")
	for i, fail := range []func(){
		func() { srv.serve(http.StatusServiceUnavailable, "text/plain", "down for maintenance") },
		func() { srv.serve(http.StatusOK, "application/json", `[{"id": "u1"}, {"email": "no id"}]`) },
		func() { srv.serve(http.StatusOK, "application/json", `[{"id": "u1"}, {"id": "u1"}]`) },
		func() { srv.serve(http.StatusOK, "application/json", `{"not": "an array"}`) },
	} {
		fail()
		st := e.step(d.ID)
		if st.LastError == "" || st.LastErrorAt.IsZero() || st.Records != 2 {
			t.Errorf("failure %d: status %+v", i, st)
		}
		if e.runner.sources[d.ID].failures != i+1 {
			t.Errorf("failure %d: %d failures in a row counted", i, e.runner.sources[d.ID].failures)
		}
		after := e.records("example.com/User")
		for id, rec := range before {
			if after[id].GetVersion() != rec.GetVersion() {
				t.Errorf("failure %d: record %s was written", i, id)
			}
		}
	}
	st := e.runner.statuses[d.ID]
	if !strings.Contains(st.LastError, "not a JSON array") {
		t.Errorf("last error: %q", st.LastError)
	}
	srv.serve(http.StatusOK, "application/json", `[{"id": "u1", "email": "new@example.com"}]`)
	if st := e.step(d.ID); st.LastError != "" || st.Records != 1 {
		t.Errorf("after recovery: %+v", st)
	}
	got := e.records("example.com/User")
	if len(got) != 1 || fields(t, got["u1"])["email"] != "new@example.com" {
		t.Errorf("after recovery: %v", got)
	}
	if e.runner.sources[d.ID].failures != 0 {
		t.Error("the failures in a row were not reset")
	}
	m := e.runner.opts.Metrics
	for result, want := range map[string]float64{"success": 2, "error": 4} {
		if got := testutil.ToFloat64(m.fetches.WithLabelValues("default", d.ID, result)); got != want {
			t.Errorf("fetches_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	if got := testutil.ToFloat64(m.records.WithLabelValues("default", d.ID)); got != 1 {
		t.Errorf("records = %v, want 1", got)
	}
}

func TestRowErrorsNameTheRow(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`[{"id": "a"}, {"email": "x"}]`:           "row 2: has no id",
		`[{"id": "a"}, {"id": ""}]`:               "row 2: id (the foreign key) is empty",
		`[{"id": "a"}, {"id": {"x": 1}}]`:         "row 2: id (the foreign key) is an object or a list",
		`[{"id": "a"}, {"id": "b"}, {"id": "a"}]`: `row 3: id "a" is row 1's too`,
		"id,email\na,x\na,y\n":                    `row 2: id "a" is row 1's too`,
		"id,email\na,x\nb\n":                      "row 2:",
	} {
		_, err := parse([]byte(body), "", "id", 100)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

func TestGrowAndShrink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, loopback, Limits{})
	srv := newServer(t)
	rows := func(ids ...int) string {
		var parts []string
		for _, id := range ids {
			parts = append(parts, fmt.Sprintf(`{"id": "u%d", "n": %d}`, id, id))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	srv.serve(http.StatusOK, "application/json", rows(1, 2, 3))
	d := e.addSource(srv.URL, "example.com/User", "id")
	e.step(d.ID)
	first := e.records("example.com/User")
	// Grow by two and change one: three puts, nothing else rewritten.
	srv.serve(http.StatusOK, "application/json", strings.Replace(rows(1, 2, 3, 4, 5), `"n": 2`, `"n": 20`, 1))
	e.step(d.ID)
	grown := e.records("example.com/User")
	if len(grown) != 5 {
		t.Fatalf("after growing: %d records", len(grown))
	}
	for _, id := range []string{"u1", "u3"} {
		if grown[id].GetVersion() != first[id].GetVersion() {
			t.Errorf("unchanged record %s was rewritten", id)
		}
	}
	if grown["u2"].GetVersion() == first["u2"].GetVersion() || fields(t, grown["u2"])["n"] != 20.0 {
		t.Errorf("changed record u2: %v", fields(t, grown["u2"]))
	}
	// Shrink: the vanished ones are deleted, the others untouched.
	srv.serve(http.StatusOK, "application/json", strings.Replace(rows(2, 5), `"n": 2`, `"n": 20`, 1))
	e.step(d.ID)
	shrunk := e.records("example.com/User")
	if len(shrunk) != 2 || shrunk["u2"].GetVersion() != grown["u2"].GetVersion() || shrunk["u5"].GetVersion() != grown["u5"].GetVersion() {
		t.Errorf("after shrinking: %v", slices.Sorted(maps.Keys(shrunk)))
	}
	// The same fetch again writes nothing.
	v := e.records("example.com/User")["u2"].GetVersion()
	e.step(d.ID)
	if e.records("example.com/User")["u2"].GetVersion() != v {
		t.Error("a fetch with nothing new wrote")
	}
}

func TestOtherTypesUntouched(t *testing.T) {
	t.Parallel()
	e := newEnv(t, loopback, Limits{})
	other := e.putOther("example.com/Group", "g1")
	pomerium := e.putOther("type.googleapis.com/session.Session", "s1")
	srv := newServer(t)
	srv.serve(http.StatusOK, "application/json", usersJSON)
	d := e.addSource(srv.URL, "example.com/User", "id")
	e.step(d.ID)
	srv.serve(http.StatusOK, "application/json", `[]`)
	e.step(d.ID)
	if err := store.Delete(e.ctx, e.store, actor, store.DeleteOp{Kind: store.KindDataSource, ID: d.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.runner.refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, rec := range []struct {
		typ, id string
		version uint64
	}{{"example.com/Group", "g1", other.GetVersion()}, {"type.googleapis.com/session.Session", "s1", pomerium.GetVersion()}} {
		if got := e.records(rec.typ)[rec.id]; got.GetVersion() != rec.version {
			t.Errorf("record %s of type %s: %v", rec.id, rec.typ, got)
		}
	}
}

func TestRemovingOrRetypingASourceDeletesItsRecords(t *testing.T) {
	t.Parallel()
	e, _, d := withUsers(t)
	d.RecordType = "example.com/Person"
	if _, err := store.Put(e.ctx, e.store, actor, d, 0); err != nil {
		t.Fatal(err)
	}
	e.step(d.ID)
	if n := len(e.records("example.com/User")); n != 0 {
		t.Errorf("%d records of the old type left", n)
	}
	if n := len(e.records("example.com/Person")); n != 2 {
		t.Errorf("%d records of the new type", n)
	}
	if err := store.Delete(e.ctx, e.store, actor, store.DeleteOp{Kind: store.KindDataSource, ID: d.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.runner.refresh(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(e.records("example.com/Person")); n != 0 {
		t.Errorf("%d records left after the source was removed", n)
	}
	if all, err := e.store.DataSourceStatuses(e.ctx); err != nil || len(all) != 0 || !e.runner.Clean() {
		t.Errorf("statuses after removal: %v, %v", all, err)
	}
}

func TestRefusesAddressesThatAreNotPublic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, Limits{})
	srv := newServer(t)
	srv.serve(http.StatusOK, "application/json", usersJSON)
	d := e.addSource(srv.URL, "example.com/User", "id")
	st := e.step(d.ID)
	if !strings.Contains(st.LastError, "127.0.0.1 is a loopback address") || !strings.Contains(st.LastError, "external_data_sources_allowed_networks") {
		t.Errorf("status: %+v", st)
	}
	if n := len(e.records("example.com/User")); n != 0 {
		t.Errorf("%d records written", n)
	}
	if err := NewGuard(loopback[:0]).Check(mustAddr("169.254.169.254")); err == nil || !strings.Contains(err.Error(), "link-local") {
		t.Errorf("metadata address: %v", err)
	}
	for addr, public := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "10.1.2.3": false, "192.168.0.1": false, "0.0.0.0": false,
		"::1": false, "::ffff:127.0.0.1": false, "fd00::1": false, "100.64.0.1": false, "fe80::1": false,
	} {
		if err := NewGuard(nil).Check(mustAddr(addr)); (err == nil) != public {
			t.Errorf("%s: %v", addr, err)
		}
	}
	if err := NewGuard(loopback).Check(mustAddr("::ffff:127.0.0.1")); err != nil {
		t.Errorf("an allowed network: %v", err)
	}
}

func TestCaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, loopback, Limits{MaxBytes: 1000, MaxRecords: 3, Timeout: 5 * time.Second})
	srv := newServer(t)
	d := e.addSource(srv.URL, "example.com/User", "id")
	for body, want := range map[string]string{
		`[{"id": "1"}, {"id": "2"}, {"id": "3"}, {"id": "4"}]`: "more than 3 rows",
		"id\n1\n2\n3\n4\n": "more than 3 rows",
		`[{"id": "1", "pad": "` + strings.Repeat("x", 2000) + `"}]`: "larger than 1000 bytes",
	} {
		srv.serve(http.StatusOK, "", body)
		if st := e.step(d.ID); !strings.Contains(st.LastError, want) {
			t.Errorf("%.40s…: %q, want %q", body, st.LastError, want)
		}
	}
	// A gzip bomb is measured inflated.
	srv.serveGzip(t, "application/json", `[{"id": "1", "pad": "`+strings.Repeat("x", 100_000)+`"}]`, true)
	if st := e.step(d.ID); !strings.Contains(st.LastError, "larger than 1000 bytes") {
		t.Errorf("gzip: %q", st.LastError)
	}
	if n := len(e.records("example.com/User")); n != 0 {
		t.Errorf("%d records written", n)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		got := Backoff(time.Second, 10*time.Second, n)
		if got > want || got < want-want/5 {
			t.Errorf("after %d failures: %v, want %v less up to a fifth", n, got, want)
		}
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestRedirectsAreGuarded follows a redirect from an allowed address to
// one that is not: the guard refuses the second connection.
func TestRedirectsAreGuarded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Limits{})
	srv := newServer(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	srv.Config.Handler = http.RedirectHandler(fmt.Sprintf("http://127.0.0.2:%d/users.json", port), http.StatusFound)
	d := e.addSource(srv.URL, "example.com/User", "id")
	if st := e.step(d.ID); !strings.Contains(st.LastError, "127.0.0.2 is a loopback address") {
		t.Errorf("status: %+v", st)
	}
}

// TestErrorsLeaveTheQueryOut: a query may carry a token, which the log
// and the status must not show.
func TestErrorsLeaveTheQueryOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, Limits{})
	d := e.addSource("http://127.0.0.1:1/users.json?token=hunter2", "example.com/User", "id")
	st := e.step(d.ID)
	if st.LastError == "" || strings.Contains(st.LastError, "hunter2") || !strings.Contains(st.LastError, "/users.json?…") {
		t.Errorf("last error: %q", st.LastError)
	}
}
