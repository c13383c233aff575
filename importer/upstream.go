package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// decodeTo reads `to` as Pomerium documents it: one URL or a list of URLs,
// each optionally followed by ",WEIGHT" for load balancing, where either all
// or none of the URLs carry a weight.
func decodeTo(n *yaml.Node, r *routeInput) error {
	items := []*yaml.Node{n}
	if rn := resolve(n); rn != nil && rn.Kind == yaml.SequenceNode {
		items = rn.Content
	}
	var urls []string
	var weights []uint32
	for i, item := range items {
		field := func(err error) error {
			if len(items) == 1 && resolve(item) == resolve(n) {
				return err
			}
			return at(index(i), err)
		}
		if ri := resolve(item); ri != nil && ri.Kind == yaml.MappingNode {
			return field(errors.New(`must be a URL string: a load balancing weight is written "http://host:port,WEIGHT"`))
		}
		s, err := scalarText(item)
		if err != nil {
			return field(err)
		}
		u, w, err := weightedURL(s)
		if err != nil {
			return field(err)
		}
		urls, weights = append(urls, u), append(weights, w)
	}
	weighted := 0
	for _, w := range weights {
		if w > 0 {
			weighted++
		}
	}
	switch {
	case weighted == 0:
		weights = nil
	case weighted != len(weights):
		return errors.New("either every URL or none must have a load balancing weight")
	}
	r.spec.To, r.spec.LoadBalancingWeights = urls, weights
	return nil
}

// weightedURL splits "URL,WEIGHT" at the first comma, as Pomerium does.
func weightedURL(s string) (string, uint32, error) {
	raw, weight, hasWeight := strings.Cut(s, ",")
	var w uint32
	if hasWeight {
		v, err := strconv.ParseUint(strings.TrimSpace(weight), 10, 32)
		switch {
		case err != nil:
			return "", 0, fmt.Errorf("%q: load balancing weight %q is not a whole number", s, weight)
		case v == 0:
			return "", 0, fmt.Errorf("%q: load balancing weight must be greater than 0", s)
		}
		w = uint32(v)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", 0, fmt.Errorf("%q is not a URL: %v", raw, errors.Unwrap(err))
	case u.Scheme == "" || u.Opaque != "":
		return "", 0, fmt.Errorf("%q has no scheme: write e.g. http://%s", raw, raw)
	case u.Host == "" && !strings.HasSuffix(u.Scheme, "unix"):
		return "", 0, fmt.Errorf("%q has no host", raw)
	}
	return raw, w, nil
}

// outlierDetection and healthChecks are Envoy messages that Pomerium reads
// from the route with protojson; the console's configpb copies of them have
// the same field names, so protojson reads the same input the same way.
func outlierDetection(n *yaml.Node) (*configpb.OutlierDetection, error) {
	m := &configpb.OutlierDetection{}
	return m, protoFromYAML(n, m)
}

func healthChecks(n *yaml.Node) ([]*configpb.HealthCheck, error) {
	rn := resolve(n)
	if rn == nil || rn.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("must be a list of health checks, got %s", describeNode(n))
	}
	out := make([]*configpb.HealthCheck, 0, len(rn.Content))
	for i, item := range rn.Content {
		hc := &configpb.HealthCheck{}
		if err := protoFromYAML(item, hc); err != nil {
			return nil, at(index(i), err)
		}
		out = append(out, hc)
	}
	return out, nil
}

func protoFromYAML(n *yaml.Node, m proto.Message) error {
	plain, err := plainNode(n)
	if err != nil {
		return err
	}
	if plain.Kind != yaml.MappingNode {
		return fmt.Errorf("must be an object, got %s", describeNode(plain))
	}
	var v any
	if err := plain.Decode(&v); err != nil {
		return fmt.Errorf("cannot be read: %w", err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cannot be converted to JSON: %w", err)
	}
	if err := protojson.Unmarshal(data, m); err != nil {
		return fmt.Errorf("is not a valid %s: %w", m.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}

// mcp reads Pomerium's MCP route settings: exactly one of server and client.
func mcp(n *yaml.Node) (*configpb.MCP, error) {
	var server, client *yaml.Node
	err := decodeObject(n, map[string]func(*yaml.Node) error{
		"server": func(v *yaml.Node) error { server = v; return nil },
		"client": func(v *yaml.Node) error { client = v; return nil },
	})
	switch {
	case err != nil:
		return nil, err
	case client != nil && server != nil:
		return nil, errors.New("set only one of server and client")
	case client != nil:
		return &configpb.MCP{Mode: &configpb.MCP_Client{Client: &configpb.MCPClient{}}}, at("client", decodeObject(client, nil))
	case server == nil:
		// `server: {}` is how Pomerium's documentation marks an MCP server
		// route, so only a missing or null server counts as absent.
		return nil, errors.New("needs server or client")
	}
	s := &configpb.MCPServer{}
	err = decodeObject(server, map[string]func(*yaml.Node) error{
		"upstream_oauth2":          set(&s.UpstreamOauth2, upstreamOAuth2),
		"max_request_bytes":        set(&s.MaxRequestBytes, optionalUint32),
		"path":                     set(&s.Path, textPointer),
		"authorization_server_url": set(&s.AuthorizationServerUrl, textPointer),
	})
	return &configpb.MCP{Mode: &configpb.MCP_Server{Server: s}}, at("server", err)
}

var oauth2AuthStyles = map[string]configpb.OAuth2AuthStyle{
	"in_params":                   configpb.OAuth2AuthStyle_OAUTH2_AUTH_STYLE_IN_PARAMS,
	"in_header":                   configpb.OAuth2AuthStyle_OAUTH2_AUTH_STYLE_IN_HEADER,
	"oauth2_auth_style_in_params": configpb.OAuth2AuthStyle_OAUTH2_AUTH_STYLE_IN_PARAMS,
	"oauth2_auth_style_in_header": configpb.OAuth2AuthStyle_OAUTH2_AUTH_STYLE_IN_HEADER,
}

func upstreamOAuth2(n *yaml.Node) (*configpb.UpstreamOAuth2, error) {
	o := &configpb.UpstreamOAuth2{}
	err := decodeObject(n, map[string]func(*yaml.Node) error{
		"client_id":                set(&o.ClientId, scalarText),
		"client_secret":            set(&o.ClientSecret, scalarText),
		"scopes":                   set(&o.Scopes, stringList),
		"authorization_url_params": set(&o.AuthorizationUrlParams, stringMap),
		"endpoint": func(v *yaml.Node) error {
			e := &configpb.OAuth2Endpoint{}
			o.Oauth2Endpoint = e
			return decodeObject(v, map[string]func(*yaml.Node) error{
				"auth_url":  set(&e.AuthUrl, scalarText),
				"token_url": set(&e.TokenUrl, scalarText),
				"auth_style": func(s *yaml.Node) error {
					style, err := enumValue(s, oauth2AuthStyles, "in_params, in_header")
					e.AuthStyle = &style
					return err
				},
			})
		},
	})
	return o, err
}
