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

// routeLists are the top-level keys that hold routes: routes, and policy,
// the name Pomerium used for the same list before v0.16.
var routeLists = map[string]bool{"routes": true, "policy": true}

// File is a parsed Pomerium configuration file.
type File struct {
	// Routes are the routes of the routes list, then those of the policy
	// list, in file order, except the refused ones.
	Routes []*RouteSpec
	// Refused are the routes Parse refuses, in file order, each with why:
	// those it cannot read and those Pomerium would refuse. Import writes
	// nothing from a file with any.
	Refused []*RouteError
	// KeyPairs are the certificates the routes carry inline, one per
	// certificate, in order of first use; refused routes bring none.
	KeyPairs []*KeyPairSpec
	// IgnoredKeys are the top-level keys that are Pomerium settings rather
	// than routes, in file order.
	IgnoredKeys []string
}

// RouteSpec is one route of the file, ready to be written.
type RouteSpec struct {
	// List is the top-level key the route came from (routes or policy) and
	// Index its position there.
	List  string
	Index int
	// Name is the route's name, or one derived from from, prefix, path and
	// regex, unique within the file.
	Name string
	// Spec holds every route setting except policy_ids and the key pair
	// references, which Import fills in.
	Spec *configpb.Route
	// PPL is the route's access policy, or "" when the route says nothing
	// about access.
	PPL string
	// CustomCA, ClientCertificate and DownstreamClientCA are the key pairs
	// for tls_custom_ca, tls_client_cert/key and tls_downstream_client_ca.
	CustomCA, ClientCertificate, DownstreamClientCA *KeyPairSpec
}

// Source names the route in the file, e.g. "routes[3]".
func (r *RouteSpec) Source() string { return fmt.Sprintf("%s[%d]", r.List, r.Index) }

// PolicyName is the name of the policy that holds the route's access rules.
func (r *RouteSpec) PolicyName() string { return r.Name + " access" }

// Parse reads a Pomerium config.yaml and returns its routes. It checks
// everything that needs only the file, including every check compilation
// makes of a route on its own (compile.CheckRoute); Import checks the rest
// against the store. A refused route goes to File.Refused and the routes
// after it are still read, so that one pass reports every one. The error,
// a *FileError, is for a file that as a whole is not a list of routes.
func Parse(data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FileError{Err: fmt.Errorf("is not valid YAML: %w", err)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &FileError{Err: errors.New("is empty")}
	}
	root := resolve(doc.Content[0])
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, &FileError{Err: fmt.Errorf("must be a Pomerium configuration (an object with a routes list), got %s", describeNode(root))}
	}
	entries, err := mappingEntries(root)
	if pe, ok := err.(*pathError); ok {
		return nil, &FileError{Key: pe.path, Err: pe.err}
	} else if err != nil {
		return nil, &FileError{Err: fmt.Errorf("has a top level Pomerium cannot read: %w", err)}
	}
	f := &File{}
	var lists []entry
	for _, e := range entries {
		if routeLists[e.key] {
			lists = append(lists, e)
		} else {
			f.IgnoredKeys = append(f.IgnoredKeys, e.key)
		}
	}
	if len(lists) == 0 {
		return nil, &FileError{Err: errors.New("has no routes: Pomerium lists them under the top-level key routes (policy in older releases)")}
	}
	// routes before policy, whatever their order in the file, so that the
	// names derived for repeated routes do not depend on key order.
	if len(lists) == 2 && lists[0].key == "policy" {
		lists[0], lists[1] = lists[1], lists[0]
	}
	var keyPairs keyPairSet
	var explicit []bool
	for _, l := range lists {
		items, err := routeItems(l.value)
		if err != nil {
			return nil, &FileError{Key: l.key, Err: err}
		}
		for i, item := range items {
			r, named, err := parseRoute(l.key, i, item, &keyPairs)
			if err != nil {
				f.Refused = append(f.Refused, err)
				continue
			}
			f.Routes = append(f.Routes, r)
			explicit = append(explicit, named)
		}
	}
	assignNames(f.Routes, explicit)
	f.KeyPairs = keyPairs.list
	return f, nil
}

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
// name.
func parseRoute(list string, i int, n *yaml.Node, keyPairs *keyPairSet) (*RouteSpec, bool, *RouteError) {
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
	if err := checkPPL(r.PPL); err != nil {
		return fail(from, err)
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

// assignNames gives every route a name unique within the file. Explicit
// names are kept by the first route that uses them; the other routes get a
// name derived from what they match, with " (2)", " (3)"... added in file
// order when it is taken.
func assignNames(routes []*RouteSpec, explicit []bool) {
	taken := make(map[string]bool, len(routes))
	owner := make(map[string]int, len(routes))
	for i, r := range routes {
		if _, ok := owner[r.Name]; explicit[i] && !ok {
			owner[r.Name] = i
			taken[r.Name] = true
		}
	}
	for i, r := range routes {
		if explicit[i] && owner[r.Name] == i {
			continue
		}
		base := r.Name
		if !explicit[i] {
			base = derivedName(r.Spec)
		}
		name := base
		for n := 2; taken[name]; n++ {
			name = fmt.Sprintf("%s (%d)", base, n)
		}
		taken[name] = true
		r.Name = name
	}
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
