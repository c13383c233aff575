package convert

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
)

// upstreamsToStore splits the load balancing weights off the URLs of to,
// written "http://host:port,WEIGHT" as in Pomerium's configuration file:
// Pomerium's records keep them apart, in load_balancing_weights. Either
// every URL carries a weight or none does.
func upstreamsToStore(to []string) ([]string, []uint32, error) {
	if len(to) == 0 {
		return nil, nil, nil
	}
	urls := make([]string, len(to))
	weights := make([]uint32, len(to))
	weighted := 0
	for i, s := range to {
		raw, weight, ok := strings.Cut(s, ",")
		urls[i] = raw
		if !ok {
			continue
		}
		w, err := strconv.ParseUint(strings.TrimSpace(weight), 10, 32)
		if err != nil || w == 0 {
			return nil, nil, fieldErrorf(fmt.Sprintf("route.to[%d]", i),
				"%q: the load balancing weight after the comma must be a whole number from 1 to %d", s, uint32(math.MaxUint32))
		}
		weights[i] = uint32(w)
		weighted++
	}
	switch weighted {
	case 0:
		return urls, nil, nil
	case len(to):
		return urls, weights, nil
	}
	return nil, nil, fieldErrorf("route.to", "either every URL or none must carry a load balancing weight")
}

// upstreamsFromStore joins the URLs and their weights again. Weights that do
// not pair up with the URLs are left out: the compiler refuses such a route,
// and its sync status says so.
func upstreamsFromStore(urls []string, weights []uint32) []string {
	if len(weights) == 0 || len(weights) != len(urls) {
		return slices.Clone(urls)
	}
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = u + "," + strconv.FormatUint(uint64(weights[i]), 10)
	}
	return out
}

// redirectCode pairs a response code of a RedirectAction with the HTTP
// status code of a RouteRedirect.
type redirectCode struct {
	api    pb.RedirectAction_RedirectResponseCode
	status int32
}

var redirectCodes = []redirectCode{
	{pb.RedirectAction_MOVED_PERMANENTLY, 301},
	{pb.RedirectAction_FOUND, 302},
	{pb.RedirectAction_SEE_OTHER, 303},
	{pb.RedirectAction_TEMPORARY_REDIRECT, 307},
	{pb.RedirectAction_PERMANENT_REDIRECT, 308},
}

// redirectToStore converts a RedirectAction. The members of its oneofs that
// are set stay set, even when empty: path_redirect "" is a setting. A
// response code of MOVED_PERMANENTLY, the zero value that an unset code
// also reads as, leaves the code unset, which Envoy answers with 301 too.
func redirectToStore(r *pb.RedirectAction) (*configpb.RouteRedirect, error) {
	if r == nil {
		return nil, nil
	}
	out := &configpb.RouteRedirect{}
	switch s := r.SchemeRewriteSpecifier.(type) {
	case *pb.RedirectAction_HttpsRedirect:
		out.HttpsRedirect = new(s.HttpsRedirect)
	case *pb.RedirectAction_SchemeRedirect:
		out.SchemeRedirect = new(s.SchemeRedirect)
	}
	out.HostRedirect = optional(r.HostRedirect)
	if r.PortRedirect != 0 {
		out.PortRedirect = new(r.PortRedirect)
	}
	switch p := r.PathRewriteSpecifier.(type) {
	case *pb.RedirectAction_PathRedirect:
		out.PathRedirect = new(p.PathRedirect)
	case *pb.RedirectAction_PrefixRewrite:
		out.PrefixRewrite = new(p.PrefixRewrite)
	case *pb.RedirectAction_RegexRewrite:
		return nil, fieldErrorf("route.redirect.regex_rewrite", "is not supported: %s", routeUnconverted["redirect.regex_rewrite"].reason)
	}
	if r.ResponseCode != pb.RedirectAction_MOVED_PERMANENTLY {
		i := slices.IndexFunc(redirectCodes, func(c redirectCode) bool { return c.api == r.ResponseCode })
		if i < 0 {
			return nil, fieldErrorf("route.redirect.response_code", "value %d is not a known response code", r.ResponseCode)
		}
		out.ResponseCode = new(redirectCodes[i].status)
	}
	if r.StripQuery {
		out.StripQuery = new(true)
	}
	return out, nil
}

// redirectFromStore converts a RouteRedirect. Where the record sets two
// members of what the API holds in one oneof, scheme_redirect wins over
// https_redirect and prefix_rewrite over path_redirect. A status code the
// API cannot name reads as MOVED_PERMANENTLY: the compiler refuses such a
// route, and its sync status says so.
func redirectFromStore(r *configpb.RouteRedirect) *pb.RedirectAction {
	if r == nil {
		return nil
	}
	out := &pb.RedirectAction{
		HostRedirect: r.GetHostRedirect(),
		PortRedirect: r.GetPortRedirect(),
		StripQuery:   r.GetStripQuery(),
	}
	if r.HttpsRedirect != nil {
		out.SchemeRewriteSpecifier = &pb.RedirectAction_HttpsRedirect{HttpsRedirect: *r.HttpsRedirect}
	}
	if r.SchemeRedirect != nil {
		out.SchemeRewriteSpecifier = &pb.RedirectAction_SchemeRedirect{SchemeRedirect: *r.SchemeRedirect}
	}
	if r.PathRedirect != nil {
		out.PathRewriteSpecifier = &pb.RedirectAction_PathRedirect{PathRedirect: *r.PathRedirect}
	}
	if r.PrefixRewrite != nil {
		out.PathRewriteSpecifier = &pb.RedirectAction_PrefixRewrite{PrefixRewrite: *r.PrefixRewrite}
	}
	for _, c := range redirectCodes {
		if r.ResponseCode != nil && c.status == *r.ResponseCode {
			out.ResponseCode = c.api
		}
	}
	return out
}

// jwtGroupsFilterToStore converts the one message of the API into the two
// fields of Pomerium's records (routes and settings alike).
func jwtGroupsFilterToStore(f *pb.JwtGroupsFilter) ([]string, *bool) {
	if f == nil {
		return nil, nil
	}
	return slices.Clone(f.Groups), clonePtr(f.InferFromPpl)
}

func jwtGroupsFilterFromStore(groups []string, inferFromPPL *bool) *pb.JwtGroupsFilter {
	if len(groups) == 0 && inferFromPPL == nil {
		return nil
	}
	return &pb.JwtGroupsFilter{Groups: slices.Clone(groups), InferFromPpl: clonePtr(inferFromPPL)}
}

// clonePtr copies an optional value, so that input and output share no
// memory.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return new(*p)
}
