package datasource

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
)

// nonPublic are the networks, besides those netip classifies (loopback,
// link-local, private use, multicast, unspecified), that a fetch may not
// reach by default: "this network", shared address space (carrier-grade
// NAT), the IETF protocol assignments, and benchmarking.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
}

// Guard decides which addresses a fetch may connect to: public ones, and
// those of the networks the configuration allows
// (external_data_sources_allowed_networks).
type Guard struct {
	allowed []netip.Prefix
}

// NewGuard returns a guard that lets fetches reach public addresses and
// the allowed networks.
func NewGuard(allowed []netip.Prefix) *Guard {
	return &Guard{allowed: slices.Clone(allowed)}
}

// Check refuses an address that is not public, unless an allowed network
// holds it.
func (g *Guard) Check(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range g.allowed {
		if p.Contains(a) {
			return nil
		}
	}
	if reason := notPublic(a); reason != "" {
		return fmt.Errorf("%s is a %s address, which data sources may not reach unless external_data_sources_allowed_networks allows it", a, reason)
	}
	return nil
}

// notPublic says what kind of non-public address a is; "" for a public one.
func notPublic(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "link-local (cloud metadata)"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsPrivate():
		return "private-use"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return "reserved"
		}
	}
	return ""
}

// control is the net.Dialer Control hook: it runs on the resolved address
// of every connection, after DNS and before connecting.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("refused %s: %w", address, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("refused %s: not an IP address", address)
	}
	return g.Check(a)
}
