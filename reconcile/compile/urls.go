package compile

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// fromSchemes are the schemes of the from URLs Pomerium serves: HTTP(S)
// routes, TCP and UDP tunnels over HTTPS (tcp+https://host:port, the
// tunnelled destination may also be given as the path), and SSH routes.
var fromSchemes = map[string]bool{
	"http": true, "https": true,
	"tcp+http": true, "tcp+https": true,
	"udp+http": true, "udp+https": true,
	"ssh": true,
}

// toSchemes are the upstream schemes Pomerium v0.33.0 builds clusters for.
var toSchemes = map[string]bool{
	"http": true, "https": true, "h2c": true,
	"tcp": true, "udp": true, "ssh": true,
	"unix": true, "https+unix": true,
}

// maxFromLength bounds a from URL: a host name is at most 253 bytes, and
// a tunnel's destinations a few more.
const maxFromLength = 4096

// checkFrom validates a route's from URL and returns the key under which
// routes claiming the same from compare equal.
func checkFrom(from string) (string, *fieldError) {
	const field = "spec.from"
	if from == "" {
		return "", fieldErrorf(field, "is required")
	}
	if len(from) > maxFromLength {
		return "", fieldErrorf(field, "is %d bytes long, at most %d allowed", len(from), maxFromLength)
	}
	u, err := url.Parse(from)
	if err != nil {
		if strings.Contains(err.Error(), "first path segment in URL cannot contain colon") {
			return "", fieldErrorf(field, "%q has no scheme: write e.g. https://%s", from, from)
		}
		return "", fieldErrorf(field, "%v", err)
	}
	switch {
	case u.Scheme == "" || u.Opaque != "":
		// host:port parses as scheme "host" with opaque data "port".
		return "", fieldErrorf(field, "%q has no scheme: write e.g. https://%s", from, from)
	case u.Scheme == "tcp" || u.Scheme == "udp":
		return "", fieldErrorf(field, "scheme %q is not served: write %s+https://host:port", u.Scheme, u.Scheme)
	case !fromSchemes[u.Scheme]:
		return "", fieldErrorf(field, "scheme %q is not one of http, https, tcp+https, udp+https, ssh", u.Scheme)
	case u.Host == "":
		return "", fieldErrorf(field, "%q has no host", from)
	case !isASCII(u.Host):
		return "", fieldErrorf(field, "host %s is not ASCII: write an internationalized name in its punycode form (xn--…)", strconv.QuoteToASCII(u.Host))
	}
	if tunnel := strings.HasPrefix(u.Scheme, "tcp+") || strings.HasPrefix(u.Scheme, "udp+"); tunnel {
		if err := checkTunnelFrom(u); err != nil {
			return "", err
		}
		return u.Scheme + "://" + strings.ToLower(u.Host) + "/" + strings.Trim(u.Path, "/"), nil
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Path != "" && u.Path != "/" {
		return "", fieldErrorf(field, "%q has a path: match paths with the path, prefix or regex fields instead", from)
	}
	return u.Scheme + "://" + hostWithoutDefaultPort(u), nil
}

// checkTunnelFrom requires the host:port a TCP or UDP route tunnels to,
// either as the URL's host or as its path segments: Pomerium matches the
// CONNECT authority against exactly that, so a missing port never matches.
func checkTunnelFrom(u *url.URL) *fieldError {
	path := strings.Trim(u.Path, "/")
	if path == "" {
		if u.Port() == "" {
			return fieldErrorf("spec.from", "%s routes need a port: write %s://%s:PORT", u.Scheme, u.Scheme, u.Host)
		}
		return nil
	}
	for seg := range strings.SplitSeq(path, "/") {
		if _, port, err := net.SplitHostPort(seg); err != nil || port == "" {
			return fieldErrorf("spec.from", "tunnel destination %q is not host:port", seg)
		}
	}
	return nil
}

func hostWithoutDefaultPort(u *url.URL) string {
	host := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	case u.Scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	}
	return host
}

// checkTo validates the upstream URLs, each optionally followed by
// ",weight", the way config.ParseWeightedUrls and Policy.Validate do.
func checkTo(s *configpb.Route) *fieldError {
	schemes := map[string]bool{}
	weighted := 0
	for i, raw := range s.To {
		field := indexed("spec.to", i)
		u, weight, err := parseWeightedURL(field, raw)
		if err != nil {
			return err
		}
		if weight > 0 {
			weighted++
		}
		schemes[u.Scheme] = true
	}
	if weighted > 0 && weighted != len(s.To) {
		return fieldErrorf("spec.to", "either every upstream URL has a weight or none has")
	}
	for _, exclusive := range []string{"tcp", "udp", "unix", "https+unix"} {
		if schemes[exclusive] && len(schemes) > 1 {
			return fieldErrorf("spec.to", "cannot mix %s and other upstream schemes", exclusive)
		}
	}
	if n := len(s.LoadBalancingWeights); n > 0 && n != len(s.To) {
		return fieldErrorf("spec.load_balancing_weights", "has %d weights for %d upstream URLs; Pomerium would ignore them", n, len(s.To))
	}
	return nil
}

func parseWeightedURL(field, raw string) (*url.URL, uint64, *fieldError) {
	target, weightText, hasWeight := strings.Cut(raw, ",")
	var weight uint64
	if hasWeight {
		w, err := strconv.ParseUint(weightText, 10, 32)
		if err != nil || w == 0 {
			return nil, 0, fieldErrorf(field, "weight %q is not a positive integer", weightText)
		}
		weight = w
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, 0, fieldErrorf(field, "%v", err)
	}
	switch {
	case u.Scheme == "":
		return nil, 0, fieldErrorf(field, "%q has no scheme", target)
	case !toSchemes[u.Scheme]:
		return nil, 0, fieldErrorf(field, "scheme %q is not one of http, https, h2c, tcp, udp, ssh, unix, https+unix", u.Scheme)
	case u.Hostname() == "" && u.Scheme != "unix" && u.Scheme != "https+unix":
		return nil, 0, fieldErrorf(field, "%q has no host", target)
	}
	return u, weight, nil
}

// checkAbsoluteURL is Pomerium's urlutil.ParseAndValidateURL: a scheme and a
// host are required.
func checkAbsoluteURL(field, raw string) *fieldError {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fieldErrorf(field, "%v", err)
	case u.Scheme == "":
		return fieldErrorf(field, "%q has no scheme", raw)
	case u.Host == "":
		return fieldErrorf(field, "%q has no host", raw)
	}
	return nil
}

// isASCII reports whether s holds ASCII only. A route's host is matched
// against the Host header, which browsers send in punycode: a host of
// other characters never matches, and one that looks like another
// (a Cyrillic "а" for a Latin "a") would show in the console as a name it
// is not. Refusing it, rather than converting it, keeps what is stored
// the name that is matched, and its punycode form shows a look-alike for
// what it is.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
