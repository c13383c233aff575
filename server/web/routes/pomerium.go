package routes

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
	"github.com/pomerium-console/pomerium-console/store"
)

// A route is exported in the shape of an open-source Pomerium config.yaml
// (the shape the importer reads back): the spec's settings under their
// config file keys, the attached policies inline as one PPL `policy`, and
// certificate authorities inline as base64 PEM. What is the console's own
// (ids, namespace, times, key pair and policy ids) is left out; so are
// secrets the console keeps as key pairs: private keys never leave it.

// field is one key of an exported object, in the order it is written.
type field struct {
	Key   string
	Value any
}

// object is an exported object whose keys keep their order in YAML and
// JSON alike, so that name, from and to come first.
type object struct {
	fields []field
	// notes are YAML comments above the object: what the export could not
	// carry.
	notes []string
}

func (o *object) set(key string, value any) { o.fields = append(o.fields, field{key, value}) }

// MarshalYAML writes the object as a mapping in field order.
func (o *object) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range o.fields {
		var v yaml.Node
		if err := v.Encode(f.Value); err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.Key, err)
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Key}, &v)
	}
	if len(o.notes) > 0 {
		n.HeadComment = strings.Join(o.notes, "\n")
	}
	return n, nil
}

// MarshalJSON writes the object in field order.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o.fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.Key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// exporter converts routes for one viewer, reading each policy and key pair
// they use once.
type exporter struct {
	ctx      context.Context
	app      *manage.App
	v        *ui.Viewer
	policies map[string][]any
	keyPairs map[string]*manage.KeyPair
}

func newExporter(ctx context.Context, app *manage.App, v *ui.Viewer) *exporter {
	return &exporter{ctx: ctx, app: app, v: v, policies: map[string][]any{}, keyPairs: map[string]*manage.KeyPair{}}
}

// consoleKeys are the spec's fields that are the console's own, or that
// the export writes itself.
var consoleKeys = []string{
	"id", "namespace_id", "originator_id", "name", "created_at", "modified_at", "namespace_name",
	"from", "to", "load_balancing_weights", "policy_ids", "enforced_policies", "assigned_policies",
	"policies", "ppl_policies",
}

// route converts one route, whose secrets named hidden were left out for
// the viewer. An error names the route and what is missing: an export never
// leaves out silently what the viewer may not read.
func (e *exporter) route(r *store.Route, hidden []string) (*object, error) {
	spec := proto.CloneOf(r.Spec)
	if spec == nil {
		spec = &configpb.Route{}
	}
	o := &object{}
	if len(hidden) > 0 {
		o.notes = []string{fmt.Sprintf("%s left out: only a %s of the route's namespace may read its secrets.",
			strings.Join(hidden, ", "), manage.Needs[manage.SeeRouteSecrets])}
	}
	o.set("name", r.Name)
	o.set("from", spec.From)
	if to := upstreams(spec); len(to) > 0 {
		o.set("to", to)
	}
	special := e.specialFields(o, spec)
	rest, err := settings(spec)
	if err != nil {
		return nil, fmt.Errorf("route %q: %w", r.Name, err)
	}
	for k, v := range special {
		rest[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(rest)) {
		o.set(k, rest[k])
	}
	if err := e.policy(o, r); err != nil {
		return nil, fmt.Errorf("route %q: %w", r.Name, err)
	}
	if err := e.tls(o, r.Spec); err != nil {
		return nil, fmt.Errorf("route %q: %w", r.Name, err)
	}
	return o, nil
}

// upstreams writes to as Pomerium reads it: "URL,WEIGHT" when the route
// balances with weights.
func upstreams(s *configpb.Route) []string {
	out := make([]string, len(s.To))
	for i, u := range s.To {
		out[i] = u
		if i < len(s.LoadBalancingWeights) && s.LoadBalancingWeights[i] > 0 {
			out[i] += "," + strconv.FormatUint(uint64(s.LoadBalancingWeights[i]), 10)
		}
	}
	return out
}

// specialFields takes out of spec the fields whose config file form is not
// their protojson form, and returns them in the config file's form.
func (e *exporter) specialFields(o *object, s *configpb.Route) map[string]any {
	out := map[string]any{}
	if p := s.LoadBalancingPolicy; p != nil && *p != configpb.LoadBalancingPolicy_LOAD_BALANCING_POLICY_UNSPECIFIED {
		out["load_balancing_policy"] = strings.ToLower(strings.TrimPrefix(p.String(), "LOAD_BALANCING_POLICY_"))
	}
	if f := s.JwtIssuerFormat; f != nil {
		out["jwt_issuer_format"] = map[configpb.IssuerFormat]string{configpb.IssuerFormat_IssuerHostOnly: "hostOnly", configpb.IssuerFormat_IssuerURI: "uri"}[*f]
	}
	if f := s.BearerTokenFormat; f != nil && *f != configpb.BearerTokenFormat_BEARER_TOKEN_FORMAT_UNKNOWN {
		out["bearer_token_format"] = strings.ToLower(strings.TrimPrefix(f.String(), "BEARER_TOKEN_FORMAT_"))
	}
	if l := s.AllowUpgrades; l != nil {
		out["allow_upgrades"] = l.Values
	}
	if l := s.IdpAccessTokenAllowedAudiences; l != nil {
		out["idp_access_token_allowed_audiences"] = l.Values
	}
	if v := s.RegexPriorityOrder; v != nil {
		out["regex_priority_order"] = *v
	}
	if s.KubernetesServiceAccountTokenKeyPairId != nil {
		o.notes = append(o.notes, "kubernetes_service_account_token is kept in a key pair of the console and is not exported: add it before importing.")
	}
	s.LoadBalancingPolicy, s.JwtIssuerFormat, s.BearerTokenFormat = nil, nil, nil
	s.AllowUpgrades, s.IdpAccessTokenAllowedAudiences, s.RegexPriorityOrder = nil, nil, nil
	// The key pairs are written by tls, from the stored spec.
	s.TlsCustomCaKeyPairId, s.TlsDownstreamClientCaKeyPairId, s.TlsClientKeyPairId = nil, nil, nil
	s.KubernetesServiceAccountTokenKeyPairId = nil
	return out
}

// settings is every other setting of the spec under its proto name, which
// is its config file key.
func settings(s *configpb.Route) (map[string]any, error) {
	data, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode the route's settings: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode the route's settings: %w", err)
	}
	for _, k := range consoleKeys {
		delete(m, k)
	}
	// Pomerium calls the MCP server's OAuth2 endpoint "endpoint".
	if oauth, ok := dig(m, "mcp", "server", "upstream_oauth2"); ok {
		if ep, ok := oauth["oauth2_endpoint"]; ok {
			oauth["endpoint"] = ep
			delete(oauth, "oauth2_endpoint")
		}
	}
	return m, nil
}

func dig(m map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}

// policy writes the PPL of the route's attached policies as the route's
// inline policy: their rules, in order. Enforced policies belong to the
// namespace and are not part of a route.
func (e *exporter) policy(o *object, r *store.Route) error {
	var rules []any
	for _, id := range r.Spec.GetPolicyIds() {
		got, err := e.policyRules(id)
		if err != nil {
			return err
		}
		rules = append(rules, got...)
	}
	switch len(rules) {
	case 0:
	case 1:
		o.set("policy", rules[0])
	default:
		o.set("policy", rules)
	}
	return nil
}

func (e *exporter) policyRules(id string) ([]any, error) {
	if rules, ok := e.policies[id]; ok {
		return rules, nil
	}
	p, err := e.app.GetPolicy(e.ctx, e.v.Caller(), id, manage.PolicyReads{})
	switch {
	case manage.CodeOf(err) == manage.CodeNotFound:
		return nil, exportRefusal{fmt.Errorf("its policy %s is not found: it was deleted (detach it in the route editor first), "+
			"or it is in a namespace you may not view, so its access rules cannot be exported by you", id)}
	case err != nil:
		return nil, fmt.Errorf("read policy %s: %w", id, err)
	}
	var doc any
	if err := yaml.Unmarshal([]byte(p.PPL), &doc); err != nil {
		return nil, exportRefusal{fmt.Errorf("policy %q: its PPL cannot be read: %w", p.Name, err)}
	}
	var rules []any
	switch d := doc.(type) {
	case nil:
	case []any:
		rules = d
	default:
		rules = []any{d}
	}
	e.policies[id] = rules
	return rules, nil
}

// tls writes the certificate authorities of the route's key pairs inline,
// and the client certificate without its private key.
func (e *exporter) tls(o *object, s *configpb.Route) error {
	if s == nil {
		return nil
	}
	refs := []struct {
		key string
		id  *string
	}{
		{"tls_custom_ca", s.TlsCustomCaKeyPairId},
		{"tls_downstream_client_ca", s.TlsDownstreamClientCaKeyPairId},
		{"tls_client_cert", s.TlsClientKeyPairId},
	}
	for _, ref := range refs {
		if ref.id == nil || *ref.id == "" {
			continue
		}
		kp, err := e.keyPair(*ref.id)
		if err != nil {
			return fmt.Errorf("%s: %w", ref.key, err)
		}
		o.set(ref.key, base64.StdEncoding.EncodeToString(kp.Certificate))
		if ref.key == "tls_client_cert" {
			o.notes = append(o.notes, fmt.Sprintf("tls_client_key of key pair %q is not exported (private keys never leave the console): add it before importing.", kp.Name))
		}
	}
	return nil
}

func (e *exporter) keyPair(id string) (*manage.KeyPair, error) {
	if kp, ok := e.keyPairs[id]; ok {
		return kp, nil
	}
	kp, err := e.app.GetKeyPair(e.ctx, e.v.Caller(), id)
	switch {
	case manage.CodeOf(err) == manage.CodeNotFound:
		return nil, exportRefusal{fmt.Errorf("key pair %s is not found: it was deleted, or it is in a namespace you may not view", id)}
	case err != nil:
		return nil, fmt.Errorf("read key pair %s: %w", id, err)
	}
	e.keyPairs[id] = kp
	return kp, nil
}
