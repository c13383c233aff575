package compile

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/store"
)

// checkBound is how long one check of one input may take.
const checkBound = 2 * time.Second

// FuzzValidatePPL feeds ValidatePPL arbitrary documents: it never panics
// and answers in bounded time; a refusal says why; an accepted policy is
// UTF-8 (so it can be stored), still accepted in the JSON form Pomerium
// parses, and compiles into a policy record the routes that use it carry.
func FuzzValidatePPL(f *testing.F) {
	for _, seed := range []string{
		allowAll,
		`{"allow":{"and":[{"email":{"is":"a@example.com"}}]}}`,
		"- allow:\n    or:\n      - domain: {is: example.com}\n- deny:\n    and:\n      - groups: {has: contractors}\n",
		"allow:\n  and:\n    - and: [{accept: true}]\n",
		"allow: {and: [{claim/department: {is: x}}]}\n",
		"allow: {and: [{http_path: {starts_with: /a}}]}\n",
		"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
		"{{ .Secret }}",
		"allow: {and: [{email: {is: \"\xff\"}}]}",
		"---\nallow: {}\n---\ndeny: {}\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ppl string) {
		start := time.Now()
		err := ValidatePPL(ppl)
		if d := time.Since(start); d > checkBound {
			t.Fatalf("ValidatePPL of %d bytes took %v", len(ppl), d)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("refusal without a reason")
			}
			return
		}
		doc, err := decodePPL(ppl)
		if err != nil {
			t.Fatalf("accepted PPL does not decode again: %v", err)
		}
		j, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidatePPL(string(j)); err != nil {
			t.Fatalf("accepted PPL refused in its JSON form %s: %v", j, err)
		}
		st := &store.State{Namespaces: tree(),
			Policies: []*store.Policy{policy(policyID(1), nsGlobal, "p", ppl, false)},
			Routes:   []*store.Route{route(routeID(1), nsGlobal, "r", &configpb.Route{From: "https://r.example.com", To: []string{"https://r.internal"}, PolicyIds: []string{policyID(1)}})},
		}
		res := Compile(st)
		if s := res.Status[ObjectKey{store.KindPolicy, policyID(1)}]; !s.Valid {
			t.Fatalf("accepted PPL does not compile: %s: %s", s.Field, s.Reason)
		}
		if r := findRoute(t, res, routeID(1)); !cmp.Equal(r.PolicyIds, []string{policyID(1)}) {
			t.Fatalf("route of an accepted policy carries policies %v", r.PolicyIds)
		}
	})
}

// FuzzCheckRoute feeds CheckRoute routes of arbitrary from and to URLs,
// regexes and prefixes: it never panics and answers in bounded time; a
// refusal names a field of the spec; a route it accepts, and the store's
// own rules accept, encodes and decodes back equal and compiles into a
// route record of the same from.
func FuzzCheckRoute(f *testing.F) {
	for _, seed := range []struct{ from, to, regex, prefix string }{
		{"https://a.example.com", "https://a.internal", "", ""},
		{"https://a.example.com", "https://a.internal,2", "^/x/.*$", "/x"},
		{"tcp+https://db.example.com:5432", "tcp://db.internal:5432", "", ""},
		{"a.example.com", "a.internal", "(", "x"},
		{"https://аpple.example.com", "https://a.internal", "", ""},
		{"https://caf\xe9.example.com", "https://a.internal", "", ""},
		{"https://{{.Secret}}.example.com", "http://${HOST}", "", ""},
		{"https://a.example.com", "https://a.internal", "(a+)+$", "/"},
		{"https://a.example.com", "https://a.internal", "((a{1000}){1000}){1000}", ""},
		{"https://a.example.com", "https://a.internal", strings.Repeat("(", 2000) + strings.Repeat(")", 2000), ""},
		{"https://a.example.com", "https://a.internal", strings.Repeat("a", MaxRegexLength+1), ""},
		{"https://a.example.com:443", "unix:///run/a.sock", "", ""},
		{"ssh://a.example.com", "ssh://a.internal:22", "", ""},
	} {
		f.Add(seed.from, seed.to, seed.regex, seed.prefix)
	}
	f.Fuzz(func(t *testing.T, from, to, regex, prefix string) {
		spec := &configpb.Route{From: from, To: []string{to}, Regex: regex, Prefix: prefix}
		start := time.Now()
		st := CheckRoute(spec)
		if d := time.Since(start); d > checkBound {
			t.Fatalf("CheckRoute took %v", d)
		}
		if !st.Valid {
			if !strings.HasPrefix(st.Field, "spec") || st.Reason == "" {
				t.Fatalf("refusal %q: %q does not name a field of the spec", st.Field, st.Reason)
			}
			return
		}
		r := route(routeID(1), nsGlobal, "r", proto.Clone(spec).(*configpb.Route))
		if err := store.Validate(store.Clone(r), time.Now(), true); err != nil {
			return // invalid UTF-8, which the store refuses
		}
		b, err := proto.Marshal(spec)
		if err != nil {
			t.Fatalf("accepted spec does not encode: %v", err)
		}
		var back configpb.Route
		if err := proto.Unmarshal(b, &back); err != nil || !proto.Equal(spec, &back) {
			t.Fatalf("accepted spec does not decode back equal: %v\n%s", err, cmp.Diff(spec, &back, protocmp.Transform()))
		}
		res := Compile(&store.State{Namespaces: tree(), Routes: []*store.Route{r}})
		if s := res.Status[ObjectKey{store.KindRoute, routeID(1)}]; !s.Valid {
			t.Fatalf("accepted route does not compile: %s: %s", s.Field, s.Reason)
		}
		if got := findRoute(t, res, routeID(1)); got.From != from {
			t.Fatalf("record from %q, want %q", got.From, from)
		}
	})
}
