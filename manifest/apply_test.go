package manifest_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/manifest"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/storetest"
)

// edited is the scene's export with a route changed, a policy and a route
// that uses it added, a permission's role changed and a route left out.
func edited(t *testing.T, c *console) *manifest.Document {
	t.Helper()
	doc := decode(t, c.export("", "yaml", false))
	for i, r := range doc.Routes {
		if r.Name == "app" {
			doc.Routes[i].Spec = json.RawMessage(strings.Replace(string(r.Spec), "app.internal:8080", "app.internal:9090", 1))
		}
	}
	doc.Routes = slices.DeleteFunc(doc.Routes, func(r manifest.Route) bool { return r.Name == "crm" })
	doc.Policies = append(doc.Policies, manifest.Policy{Namespace: "Global/Sales", Name: "partners", PPL: "allow:\n  or:\n    - domain:\n        is: partner.example\n"})
	doc.Routes = append(doc.Routes, manifest.Route{Namespace: "Global/Sales", Name: "portal",
		Spec: json.RawMessage(`{"from": "https://portal.example.com", "to": ["http://portal.internal"], "policy_ids": ["partners", "Global/Engineering/engineers"]}`)})
	for i, p := range doc.Permissions {
		if p.SubjectID == "engineering" {
			doc.Permissions[i].Role = "viewer"
		}
	}
	return doc
}

// TestApplyShowsAndMakesTheChanges: apply lists every change with a diff
// of each update and writes them; without prune, a route left out stays,
// with it, it goes; applying again changes nothing.
func TestApplyShowsAndMakesTheChanges(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, c *console) {
		storetest.WriteScene(t, c.st)
		doc := encodeDoc(t, edited(t, c))
		res, err := c.apply(doc, false, false)
		if err != nil {
			t.Fatalf("%v: %s", err, refusals(res))
		}
		want := []string{
			"create policy Global/Sales/partners",
			"update route Global/Engineering/app",
			"create route Global/Sales/portal",
			"update namespace_permission Global/Engineering/group engineering",
		}
		if got := changes(res); !slices.Equal(got, want) {
			t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, ch := range res.Changes {
			if ch.Kind == store.KindRoute && ch.Action == manifest.ActionUpdate {
				if !strings.Contains(ch.Diff, "-    - http://app.internal:8080\n") || !strings.Contains(ch.Diff, "+    - http://app.internal:9090\n") {
					t.Errorf("diff of the route:\n%s", ch.Diff)
				}
				if strings.Contains(ch.Diff, "app-secret") {
					t.Errorf("the diff shows a secret:\n%s", ch.Diff)
				}
			}
		}
		routes := routeTargets(t, c)
		if _, ok := routes["crm"]; routes["app"] != "http://app.internal:9090" || routes["portal"] == "" || !ok {
			t.Errorf("routes after apply without prune: %v", routes)
		}
		res, err = c.apply(doc, true, false)
		if err != nil || !slices.Equal(changes(res), []string{"delete route Global/Sales/crm"}) {
			t.Fatalf("apply with prune: %v, %v: %s", changes(res), err, refusals(res))
		}
		if _, ok := routeTargets(t, c)["crm"]; ok {
			t.Error("prune left the route")
		}
		if res, err := c.apply(doc, true, false); err != nil || len(res.Changes) != 0 {
			t.Errorf("second apply: %v, %v", changes(res), err)
		}
	})
}

// TestApplyIsAtomic: a document with one refused object writes nothing,
// and lists every refusal, naming the object and the field.
func TestApplyIsAtomic(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, c *console) {
		storetest.WriteScene(t, c.st)
		doc := edited(t, c)
		doc.Routes = append(doc.Routes,
			manifest.Route{Namespace: "Global/Sales", Name: "ftp", Spec: json.RawMessage(`{"from": "ftp://files.example.com", "to": ["http://files"]}`)},
			manifest.Route{Namespace: "Global/Sales", Name: "dangling", Spec: json.RawMessage(`{"from": "https://d.example.com", "to": ["http://d"], "policy_ids": ["nope"]}`)})
		doc.Policies = append(doc.Policies, manifest.Policy{Namespace: "Global", Name: "broken", PPL: "allow:\n  nonsense: true\n"})
		before := c.version()
		for _, dryRun := range []bool{true, false} {
			res, err := c.apply(encodeDoc(t, doc), true, dryRun)
			if manage.CodeOf(err) != manage.CodeInvalid {
				t.Fatalf("dry run %v: %v, want the document refused", dryRun, err)
			}
			got := refusals(res)
			for _, want := range []string{
				"routes[3] (Global/Sales/ftp): spec.from: ",
				"routes[4] (Global/Sales/dangling): spec.policy_ids[0]: \"nope\": there is no policy named \"nope\" in Global/Sales",
				"policies[5] (Global/broken): ppl: allow: unknown operator \"nonsense\"",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("dry run %v: refusals do not say %q:\n%s", dryRun, want, got)
				}
			}
			if len(res.Changes) == 0 {
				t.Errorf("dry run %v: the plan of the other objects is not shown", dryRun)
			}
		}
		if after := c.version(); after != before {
			t.Errorf("a refused document wrote: version %d, was %d", after, before)
		}
		if _, ok := routeTargets(t, c)["portal"]; ok {
			t.Error("a refused document created a route")
		}
	})
}

// TestDryRunWritesNothing: a dry run shows what apply would do, deletions
// included, and writes nothing.
func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, c *console) {
		storetest.WriteScene(t, c.st)
		before := c.version()
		res, err := c.apply(encodeDoc(t, edited(t, c)), true, true)
		if err != nil || len(res.Changes) != 5 {
			t.Fatalf("dry run: %v, %v", changes(res), err)
		}
		if after := c.version(); after != before {
			t.Errorf("a dry run wrote: version %d, was %d", after, before)
		}
	})
}

// TestPruneKeepsWhatItMustNotDelete: what Kubernetes manages, what is
// outside the scope, and a policy a kept route still uses (refused).
func TestPruneKeepsWhatItMustNotDelete(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, c *console) {
		sc := storetest.WriteScene(t, c.st)
		kube := store.Actor{Subject: "kubernetes", Origin: store.OriginKubernetes}
		if _, err := store.Put(t.Context(), c.st, kube, &store.Route{ObjectMeta: store.ObjectMeta{
			NamespaceID: sc.Namespaces["Engineering"], Name: "from-kube", OriginRef: "Route default/x"},
			Spec: &configpb.Route{From: "https://kube.example.com", To: []string{"http://kube"}}}, 0); err != nil {
			t.Fatal(err)
		}
		// A document of Engineering alone, exported, applied with prune:
		// nothing changes, the rest of the console included.
		scoped := c.export("Global/Engineering", "yaml", false)
		if !strings.Contains(string(scoped), "scope: Global/Engineering\n") || strings.Contains(string(scoped), "name: crm\n") || strings.Contains(string(scoped), "name: from-kube\n") {
			t.Errorf("export of Global/Engineering:\n%s", scoped)
		}
		if res, err := c.apply(scoped, true, false); err != nil || len(res.Changes) != 0 {
			t.Fatalf("apply of the scoped export: %v, %v: %s", changes(res), err, refusals(res))
		}
		// Leaving out the policy that grafana (kept) uses is refused.
		doc := decode(t, scoped)
		doc.Policies = slices.DeleteFunc(doc.Policies, func(p manifest.Policy) bool { return p.Name == "engineers" })
		res, err := c.apply(encodeDoc(t, doc), true, false)
		if err == nil || !strings.Contains(refusals(res), "Global/Engineering/engineers: the document leaves it out, so pruning would delete it, but route Global/Engineering/Platform/grafana, route Global/Engineering/app still use it") {
			t.Errorf("pruning a used policy: %v: %s", err, refusals(res))
		}
		// An object outside the scope is refused.
		doc = decode(t, scoped)
		doc.Policies = append(doc.Policies, manifest.Policy{Namespace: "Global/Sales", Name: "x", PPL: "allow:\n  or:\n    - accept: true\n"})
		res, err = c.apply(encodeDoc(t, doc), false, false)
		if err == nil || !strings.Contains(refusals(res), "Global/Sales is outside the document's scope Global/Engineering") {
			t.Errorf("an object outside the scope: %v: %s", err, refusals(res))
		}
		// Everything of Engineering left out: pruned, but the route of
		// Kubernetes and the namespace that holds it.
		res, err = c.apply([]byte("format: pomerium-console/v1\nscope: Global/Engineering\n"), true, false)
		if err != nil {
			t.Fatalf("prune all of Engineering: %v: %s", err, refusals(res))
		}
		routes := routeTargets(t, c)
		_, kept := routes["from-kube"]
		_, crm := routes["crm"]
		if !kept || !crm || len(routes) != 2 {
			t.Errorf("routes after pruning Engineering: %v", routes)
		}
		for _, ch := range res.Changes {
			if ch.Kind == store.KindNamespace && ch.Name == "Global/Engineering" {
				t.Error("prune deleted the scope's own namespace")
			}
		}
		if !slices.Contains(changes(res), "delete namespace Global/Engineering/Platform") {
			t.Errorf("Platform is not pruned: %v", changes(res))
		}
	})
}

// TestSecretsLeftOut: a document exported without secrets keeps the
// stored ones; one that omits the secret of a new route is refused.
func TestSecretsLeftOut(t *testing.T) {
	t.Parallel()
	onBackends(t, func(t *testing.T, c *console) {
		storetest.WriteScene(t, c.st)
		doc := decode(t, c.export("", "yaml", false))
		doc.Routes[0].Name = "app-copy"
		res, err := c.apply(encodeDoc(t, doc), false, false)
		if err == nil || !strings.Contains(refusals(res), "routes[0] (Global/Engineering/app-copy): secrets_omitted: the document leaves out [idp_client_secret]") {
			t.Errorf("a new route without its secret: %v: %s", err, refusals(res))
		}
		doc = decode(t, c.export("", "yaml", true))
		for i, r := range doc.Routes {
			if r.Name == "app" {
				doc.Routes[i].Spec = json.RawMessage(strings.Replace(string(r.Spec), "app-secret", "new-secret", 1))
			}
		}
		res, err = c.apply(encodeDoc(t, doc), false, false)
		if err != nil || len(res.Changes) != 1 || !strings.Contains(res.Changes[0].Diff, "~ secret idp_client_secret changes") || strings.Contains(res.Changes[0].Diff, "new-secret") {
			t.Errorf("a changed secret: %v, %v", changes(res), err)
		}
	})
}

// routeTargets maps every route's name to its first upstream.
func routeTargets(t *testing.T, c *console) map[string]string {
	t.Helper()
	st, err := c.st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range st.Routes {
		out[r.Name] = strings.Join(r.Spec.To, ",")
	}
	return out
}

// TestApplyTakesTheRolesOfEachChange: a manager of a namespace may apply
// routes and policies there, but not enforce a policy (admin), and the
// whole document is refused for it.
func TestApplyTakesTheRolesOfEachChange(t *testing.T) {
	t.Parallel()
	c := newConsole(t, backends["embedded"](t))
	sc := storetest.WriteScene(t, c.st)
	if _, err := store.Put(t.Context(), c.st, store.Actor{Subject: "t", Origin: store.OriginAPI}, &store.NamespacePermission{
		ObjectMeta: store.ObjectMeta{NamespaceID: sc.Namespaces["Sales"]}, SubjectType: store.SubjectUser, SubjectID: "bob@example.com", Role: store.RoleManager}, 0); err != nil {
		t.Fatal(err)
	}
	bob, err := c.app.Caller(t.Context(), manage.Identity{Subject: "bob@example.com", Email: "bob@example.com"}, store.OriginAPI)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(doc string) (*manage.ApplyResult, error) {
		return c.app.Apply(t.Context(), bob, manage.ApplyInput{Content: []byte(doc)})
	}
	doc := "format: pomerium-console/v1\nscope: Global/Sales\npolicies:\n" +
		"- {namespace: Global/Sales, name: open, ppl: 'allow: {or: [{accept: true}]}'}\n"
	if res, err := apply(doc); err != nil || len(res.Changes) != 1 {
		t.Fatalf("a manager's policy: %v, %v", err, refusals(res))
	}
	doc += "- {namespace: Global/Sales/Deals, name: strict, enforced: true, ppl: 'deny: {or: [{accept: true}]}'}\n"
	res, err := apply(doc)
	if manage.CodeOf(err) != manage.CodeInvalid || !strings.Contains(refusals(res), "Global/Sales/Deals/strict: bob@example.com may not create it: that takes admin of namespace "+sc.Namespaces["Sales"]) {
		t.Errorf("an enforced policy by a manager: %v: %s", err, refusals(res))
	}
}

// TestNamesWithSlashes: names holding / or \ are written escaped in paths
// and references, and read back.
func TestNamesWithSlashes(t *testing.T) {
	t.Parallel()
	c := newConsole(t, backends["embedded"](t))
	doc := "format: pomerium-console/v1\n" +
		"policies:\n- {namespace: 'Global/a\\/b', name: 'p\\q', ppl: 'allow: {or: [{accept: true}]}'}\n" +
		"routes:\n- {namespace: 'Global/a\\/b/c', name: r, spec: {from: 'https://r.example.com', to: ['http://r'], policy_ids: ['Global/a\\/b/p\\\\q']}}\n"
	if res, err := c.apply([]byte(doc), false, false); err != nil {
		t.Fatalf("%v: %s", err, refusals(res))
	}
	st, err := c.st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ns := range st.Namespaces {
		names = append(names, ns.Name)
	}
	if !slices.Contains(names, "a/b") || st.Policies[0].Name != `p\q` {
		t.Errorf("namespaces %q, policy %q", names, st.Policies[0].Name)
	}
	if res, err := c.apply(c.export("", "yaml", false), true, false); err != nil || len(res.Changes) != 0 {
		t.Errorf("export and apply: %v, %v", changes(res), err)
	}
}
