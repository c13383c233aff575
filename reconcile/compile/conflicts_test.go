package compile

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

func TestRouteConflicts(t *testing.T) {
	t.Parallel()
	to := []string{"https://u"}
	same := func(id int) string {
		return `claims the same from, prefix, path and regex as route "r` + string(rune('0'+id)) + `" (` + routeID(id) + `)`
	}
	for _, tc := range []struct {
		name  string
		specs []*configpb.Route
		want  []Status
	}{
		{"different hosts", []*configpb.Route{
			{From: "https://a.example.com", To: to}, {From: "https://b.example.com", To: to},
		}, []Status{validStatus(), validStatus()}},
		{"same from", []*configpb.Route{
			{From: "https://a.example.com", To: to}, {From: "https://a.example.com", To: []string{"https://other"}},
		}, []Status{invalid("spec.from", same(2)), invalid("spec.from", same(1))}},
		{"same from written differently", []*configpb.Route{
			{From: "HTTPS://A.example.com:443/", To: to}, {From: "https://a.example.com", To: to},
		}, []Status{invalid("spec.from", same(2)), invalid("spec.from", same(1))}},
		{"different prefix", []*configpb.Route{
			{From: "https://a.example.com", Prefix: "/a", To: to}, {From: "https://a.example.com", Prefix: "/b", To: to},
		}, []Status{validStatus(), validStatus()}},
		{"different path", []*configpb.Route{
			{From: "https://a.example.com", Path: "/a", To: to}, {From: "https://a.example.com", To: to},
		}, []Status{validStatus(), validStatus()}},
		{"same regex", []*configpb.Route{
			{From: "https://a.example.com", Regex: "/a.*", To: to}, {From: "https://a.example.com", Regex: "/a.*", To: to},
		}, []Status{invalid("spec.from", same(2)), invalid("spec.from", same(1))}},
		{"different scheme", []*configpb.Route{
			{From: "http://a.example.com", To: to}, {From: "https://a.example.com", To: to},
		}, []Status{validStatus(), validStatus()}},
		{"tcp ports", []*configpb.Route{
			{From: "tcp+https://a.example.com:22", To: []string{"tcp://a:22"}}, {From: "tcp+https://a.example.com:23", To: []string{"tcp://a:23"}},
		}, []Status{validStatus(), validStatus()}},
		{"other error kept", []*configpb.Route{
			{From: "https://a.example.com", To: []string{"bad"}}, {From: "https://a.example.com", To: to},
		}, []Status{invalid("spec.to[0]", `"bad" has no scheme`), invalid("spec.from", same(1))}},
		{"three and more", []*configpb.Route{
			{From: "https://a.example.com", To: to}, {From: "https://a.example.com", To: to}, {From: "https://a.example.com", To: to},
			{From: "https://a.example.com", To: to}, {From: "https://a.example.com", To: to},
		}, []Status{
			invalid("spec.from", `claims the same from, prefix, path and regex as route "r2" (`+routeID(2)+`), route "r3" (`+routeID(3)+`), route "r4" (`+routeID(4)+`) and 1 more`),
			{}, {}, {},
			invalid("spec.from", `claims the same from, prefix, path and regex as route "r1" (`+routeID(1)+`), route "r2" (`+routeID(2)+`), route "r3" (`+routeID(3)+`) and 1 more`),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &store.State{Namespaces: tree()}
			for i, spec := range tc.specs {
				// Reverse input order: the outcome must not depend on it.
				r := route(routeID(i+1), nsApp, "r"+string(rune('1'+i)), spec)
				st.Routes = append([]*store.Route{r}, st.Routes...)
			}
			res := Compile(st)
			for i, want := range tc.want {
				if want == (Status{}) {
					continue
				}
				got := res.Status[ObjectKey{store.KindRoute, routeID(i + 1)}]
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("route %d (-want +got):\n%s", i+1, diff)
				}
			}
		})
	}
}
