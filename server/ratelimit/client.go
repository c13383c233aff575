package ratelimit

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddr returns the address a request's attempts are counted against.
// remote is the connection's peer (http.Request.RemoteAddr, or a Connect
// request's Peer().Addr). When the peer is one of the trusted proxies, the
// client is the last address of X-Forwarded-For that is not a trusted
// proxy, read from the right: each proxy appends the peer it saw, so the
// addresses left of the first untrusted one may be forged by the client.
// Without trusted proxies the header is never read.
func (l *Limiter) ClientAddr(remote string, h http.Header) netip.Addr {
	peer := parseAddr(remote)
	if l == nil || !l.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(h.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseAddr(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			// A hop that is not an address cannot be attributed: the
			// nearest proxy's peer stands for the client.
			return peer
		}
		if !l.trusted(a) {
			return a
		}
		peer = a
	}
	return peer
}

func (l *Limiter) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range l.proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// parseAddr reads "host:port" or a bare address; an unparsable one is the
// zero Addr, which all such callers share.
func parseAddr(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
