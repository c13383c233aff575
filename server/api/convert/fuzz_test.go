package convert

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// FuzzRouteToStore feeds arbitrary route messages to the conversion the
// API applies to every SetRoute: it must never panic, and every refusal
// must be a *FieldError naming a field of the route.
func FuzzRouteToStore(f *testing.F) {
	for _, r := range []*pb.Route{
		{Name: "a", From: "https://a.example.com", To: []string{"https://b.internal", "http://c.internal,3"}},
		{From: "tcp+https://db.example.com:5432", Redirect: &pb.RedirectAction{HostRedirect: "x.example.com"}},
		{From: "https://x", PolicyIds: []string{"p"}, SetRequestHeaders: map[string]string{"a": "b"}},
	} {
		b, err := proto.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r pb.Route
		if proto.Unmarshal(data, &r) != nil {
			return
		}
		out, err := RouteToStore(&r)
		if err == nil {
			if out == nil || out.Spec == nil {
				t.Fatal("no error and no route")
			}
			return
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
			t.Fatalf("refusal %v is not a field error", err)
		}
	})
}
