package importer

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// maxNameLength leaves room below store.MaxNameLength for the " access"
// suffix of a route's policy and a " (2)" that makes a repeated name unique.
const maxNameLength = 240

// routeItems returns the routes of a list, which Pomerium also accepts as
// base64-encoded YAML (the form its ROUTES environment variable takes).
func routeItems(n *yaml.Node) ([]*yaml.Node, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return nil, errors.New("must be a list of routes (or base64-encoded YAML of one)")
		}
		var inner yaml.Node
		if err := yaml.Unmarshal(data, &inner); err != nil {
			return nil, fmt.Errorf("holds base64-encoded text that is not valid YAML: %w", err)
		}
		if len(inner.Content) == 0 {
			return nil, nil
		}
		n = resolve(inner.Content[0])
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("must be a list of routes, got %s", describeNode(n))
	}
	return n.Content, nil
}

// parseRoute decodes one route. named reports whether the route has its own
// name. A route read again, once checked, skips the costliest check, of its
// PPL.
func parseRoute(list string, i int, n *yaml.Node, keyPairs *keyPairSet, checked bool) (*RouteSpec, bool, *RouteError) {
	fail := func(from string, err error) (*RouteSpec, bool, *RouteError) {
		return nil, false, newRouteError(list, i, from, err)
	}
	if rn := resolve(n); rn == nil || rn.Kind != yaml.MappingNode {
		return fail("", fmt.Errorf("must be an object with from and to, got %s", describeNode(n)))
	}
	entries, err := mappingEntries(n)
	if err != nil {
		return fail("", err)
	}
	from := routeFrom(entries)
	in := &routeInput{spec: &configpb.Route{}}
	for _, e := range entries {
		if isNull(e.value) {
			continue
		}
		if reason, refused := refusedKeys[e.key]; refused {
			return fail(from, at(e.key, errors.New(reason)))
		}
		decode, ok := routeFields[e.key]
		if !ok {
			return fail(from, at(e.key, unknownRouteKey(e.key)))
		}
		if err := decode(e.value, in); err != nil {
			return fail(from, at(e.key, err))
		}
	}
	if err := checkRoute(in); err != nil {
		return fail(from, err)
	}
	r := &RouteSpec{List: list, Index: i, Name: in.name, Spec: in.spec}
	if r.PPL, err = in.access.ppl(); err != nil {
		return fail(from, err)
	}
	if !checked {
		if err := checkPPL(r.PPL); err != nil {
			return fail(from, err)
		}
	}
	r.CustomCA, r.ClientCertificate, r.DownstreamClientCA, err = in.tls.keyPairs(r.Source(), keyPairs)
	if err != nil {
		return fail(from, err)
	}
	return r, in.name != "", nil
}

// routeFrom finds the route's from early, so that every error about the
// route can name it.
func routeFrom(entries []entry) string {
	for _, e := range entries {
		if e.key == "from" {
			if s, err := scalarText(e.value); err == nil {
				return s
			}
		}
	}
	return ""
}

func checkRoute(in *routeInput) error {
	if err := checkName(in.name); err != nil {
		return at("name", err)
	}
	var actions []string
	if len(in.spec.To) > 0 {
		actions = append(actions, "to")
	}
	if in.spec.Redirect != nil {
		actions = append(actions, "redirect")
	}
	if in.spec.Response != nil {
		actions = append(actions, "response")
	}
	switch len(actions) {
	case 0:
		return errors.New("a route needs one of to, redirect or response")
	case 1:
	default:
		// Pomerium would silently use one and ignore the others.
		return fmt.Errorf("set only one of to, redirect and response, not %s", strings.Join(actions, " and "))
	}
	if err := in.access.check(); err != nil {
		return err
	}
	return compiles(in.spec)
}

// compiles refuses a route compilation would refuse: one invalid route makes
// Pomerium reject its whole configuration, so compilation never emits it, and
// an import that wrote it would leave it in sync error. The check runs on the
// spec before Import adds policy_ids and the key pair references; that does
// not change the verdict, since CheckRoute leaves policy ids to compilation
// and refuses a key pair reference only beside inline TLS material in the
// spec, which the import never writes (it stores that material as key
// pairs).
func compiles(spec *configpb.Route) error {
	status := compile.CheckRoute(spec)
	if status.Valid {
		return nil
	}
	err := errors.New(status.Reason)
	if field, ok := strings.CutPrefix(status.Field, "spec."); ok {
		return at(field, err)
	}
	return err
}

// checkPPL refuses access rules that are not valid PPL: Pomerium would serve
// the route with its policy silently dropped.
func checkPPL(ppl string) error {
	if ppl == "" {
		return nil
	}
	if err := compile.ValidatePPL(ppl); err != nil {
		return at("policy", fmt.Errorf("is not valid PPL: %w", err))
	}
	return nil
}

func checkName(name string) error {
	switch {
	case len(name) > maxNameLength:
		return fmt.Errorf("is %d bytes long, at most %d allowed (the console names the route's policy after it)", len(name), maxNameLength)
	case cleanName(name, maxNameLength) != name:
		return errors.New("must be valid UTF-8 without control characters or surrounding white space")
	}
	return nil
}

// nameSeed is what naming a route starts from: its own name, or one
// derived from what it matches.
type nameSeed struct {
	base     string
	explicit bool
}

// assignNames gives every route a name unique within the file. Explicit
// names are kept by the first route that uses them; the other routes get a
// name derived from what they match, with " (2)", " (3)"... added in file
// order when it is taken.
func assignNames(seeds []nameSeed) []string {
	names := make([]string, len(seeds))
	taken := make(map[string]bool, len(seeds))
	for i, s := range seeds {
		if s.explicit && !taken[s.base] {
			taken[s.base] = true
			names[i] = s.base
		}
	}
	for i, s := range seeds {
		if names[i] != "" {
			continue
		}
		name := s.base
		for n := 2; taken[name]; n++ {
			name = fmt.Sprintf("%s (%d)", s.base, n)
		}
		taken[name] = true
		names[i] = name
	}
	return names
}

// derivedName names a route after what it matches, e.g.
// "app.example.com/api/" or "tcp+https://db.example.com:5432".
func derivedName(s *configpb.Route) string {
	name := s.From
	if u, err := url.Parse(s.From); err == nil && u.Host != "" {
		name = u.Scheme + "://" + u.Host
		if u.Scheme == "https" {
			name = u.Host
		}
		if p := strings.Trim(u.Path, "/"); p != "" {
			name += "/" + p
		}
	}
	if s.Prefix != "/" {
		name += s.Prefix
	}
	name += s.Path
	if s.Regex != "" {
		name += " ~ " + s.Regex
	}
	if name = cleanName(name, 200); name == "" {
		return "route"
	}
	return name
}
