package config

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// binding decodes a key's value, checks it and stores it in a Config.
// Errors must not quote the value: it may be a secret.
type binding interface {
	// list says whether the value is a list: a YAML sequence, or
	// comma-separated in the environment and in flags.
	list() bool
	// store decodes v into c. v.items holds list values, v.text the others.
	store(c *Config, v value) error
	// show is the value as the redacted forms of a Config print it, empty
	// when unset. For secret keys only whether it is empty is used.
	show(c *Config) string
}

// text is a string key; check, when not nil, validates it and redact, when
// not nil, hides the parts of it that may be secret.
func text(check func(string) error, redact func(string) string, field func(*Config) *string) binding {
	return textBinding{check: check, redact: redact, field: field}
}

type textBinding struct {
	check  func(string) error
	redact func(string) string
	field  func(*Config) *string
}

func (textBinding) list() bool { return false }

func (b textBinding) store(c *Config, v value) error {
	if b.check != nil {
		if err := b.check(v.text); err != nil {
			return err
		}
	}
	*b.field(c) = v.text
	return nil
}

func (b textBinding) show(c *Config) string {
	s := *b.field(c)
	if b.redact != nil {
		return b.redact(s)
	}
	return s
}

// list is a key holding a list of strings.
func list(field func(*Config) *[]string) binding { return listBinding{field: field} }

// checkedList is a list whose every item check validates.
func checkedList(check func(string) error, field func(*Config) *[]string) binding {
	return listBinding{check: check, field: field}
}

type listBinding struct {
	check func(string) error
	field func(*Config) *[]string
}

func (listBinding) list() bool { return true }

func (b listBinding) store(c *Config, v value) error {
	if b.check != nil {
		for _, item := range v.items {
			if err := b.check(item); err != nil {
				return err
			}
		}
	}
	*b.field(c) = slices.Clone(v.items)
	return nil
}

// checkNetwork checks an IP network in CIDR notation, or an address (a
// network of one).
func checkNetwork(s string) error {
	if _, err := parseNetwork(s); err != nil {
		return fmt.Errorf("%q is neither an IP network (CIDR, such as 10.0.0.0/8) nor an IP address", s)
	}
	return nil
}

func parseNetwork(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

func (b listBinding) show(c *Config) string { return strings.Join(*b.field(c), ",") }

// number is a key holding a whole number no less than least.
func number(least int, field func(*Config) *int) binding {
	return numberBinding{least: least, field: field}
}

type numberBinding struct {
	least int
	field func(*Config) *int
}

func (numberBinding) list() bool { return false }

func (b numberBinding) store(c *Config, v value) error {
	n, err := strconv.Atoi(strings.TrimSpace(v.text))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v.text)
	}
	if n < b.least {
		return fmt.Errorf("%d is less than %d", n, b.least)
	}
	*b.field(c) = n
	return nil
}

func (b numberBinding) show(c *Config) string { return strconv.Itoa(*b.field(c)) }

// decoded is a key whose text decodes to bytes. An empty value leaves the
// field nil, which is how accessors report an unset key.
func decoded(decode func(string) ([]byte, error), field func(*Config) *[]byte) binding {
	return bytesBinding{decode: decode, field: field}
}

type bytesBinding struct {
	decode func(string) ([]byte, error)
	field  func(*Config) *[]byte
}

func (bytesBinding) list() bool { return false }

func (b bytesBinding) store(c *Config, v value) error {
	if v.text == "" {
		*b.field(c) = nil
		return nil
	}
	out, err := b.decode(v.text)
	if err != nil {
		return err
	}
	*b.field(c) = out
	return nil
}

func (b bytesBinding) show(c *Config) string {
	if len(*b.field(c)) == 0 {
		return ""
	}
	return "[set]"
}

// ignored accepts any value and keeps none of it.
type ignored struct{}

func (ignored) list() bool                 { return false }
func (ignored) store(*Config, value) error { return nil }
func (ignored) show(*Config) string        { return "" }

// checkURL accepts an empty value or a URL with one of schemes.
func checkURL(requireHost bool, schemes ...string) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		u, err := parseURL(s)
		if err != nil {
			return err
		}
		if !slices.Contains(schemes, u.Scheme) {
			return fmt.Errorf("scheme is %q, want %s", u.Scheme, strings.Join(schemes, " or "))
		}
		if requireHost && u.Host == "" {
			return errors.New("URL has no host")
		}
		return nil
	}
}

// checkHTTPSURL accepts an empty value, or an https URL with a host, or an
// http one whose host is a loopback address: what travels over it must not
// be open to tampering on the network. It refuses credentials in the URL,
// so that the value is safe to print.
func checkHTTPSURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := parseURL(s)
	if err != nil {
		return err
	}
	switch {
	case u.Host == "":
		return errors.New("URL has no host")
	case u.User != nil:
		// The value is printed and logged in clear, and what it serves is public.
		return errors.New("URL holds a user name or password; it must not")
	case u.Scheme == "https":
		return nil
	case u.Scheme != "http":
		return fmt.Errorf("scheme is %q, want https", u.Scheme)
	case !isLoopback(u.Hostname()):
		return fmt.Errorf("http is allowed only for a loopback host (localhost, 127.0.0.1, ::1), not %q: use https", u.Hostname())
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseURL parses s with an error that never quotes it.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a valid URL: %w", urlParseReason(err))
	}
	return u, nil
}

// urlParseReason drops the URL that url.Parse quotes in its errors, and the
// escape sequences it quotes too, since either may come from a password.
func urlParseReason(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ee url.EscapeError
	if errors.As(err, &ee) {
		return errors.New("invalid percent-encoding")
	}
	return err
}

// redactURL hides the password of a URL; a value that does not parse is
// hidden whole, since nothing says which part of it is the password.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "[redacted]"
	}
	return u.Redacted()
}

// checkAddr accepts host:port with a numeric port, and an empty value when
// allowEmpty is set.
func checkAddr(allowEmpty bool) func(string) error {
	return func(s string) error {
		if s == "" {
			if allowEmpty {
				return nil
			}
			return errors.New("is empty, want host:port")
		}
		_, port, err := net.SplitHostPort(s)
		if err != nil {
			return fmt.Errorf("want host:port: %w", err)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return fmt.Errorf("port %q is not a number from 0 to 65535", port)
		}
		return nil
	}
}

// checkOneOf accepts one of allowed.
func checkOneOf(allowed []string) func(string) error {
	return func(s string) error {
		if !slices.Contains(allowed, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(allowed, ", "))
		}
		return nil
	}
}

// decodeExact decodes base64 that must hold exactly n bytes.
func decodeExact(n int) func(string) ([]byte, error) {
	return func(s string) ([]byte, error) {
		b, err := decodeBase64(s)
		if err != nil {
			return nil, err
		}
		if len(b) != n {
			return nil, fmt.Errorf("decodes to %d bytes, want %d", len(b), n)
		}
		return b, nil
	}
}

// decodeAtLeast decodes base64 that must hold at least n bytes.
func decodeAtLeast(n int) func(string) ([]byte, error) {
	return func(s string) ([]byte, error) {
		b, err := decodeBase64(s)
		if err != nil {
			return nil, err
		}
		if len(b) < n {
			return nil, fmt.Errorf("decodes to %d bytes, want at least %d", len(b), n)
		}
		return b, nil
	}
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// CorruptInputError gives only an offset, never the input.
		return nil, fmt.Errorf("not valid base64: %w", err)
	}
	return b, nil
}

// decodePEM accepts PEM, or base64 of PEM (the form environment variables
// and single-line YAML values can carry), and returns the PEM.
func decodePEM(s string) ([]byte, error) {
	b := []byte(s)
	if !strings.HasPrefix(s, "-----BEGIN") {
		var err error
		if b, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, errors.New("neither PEM nor base64 of PEM")
		}
	}
	if block, _ := pem.Decode(b); block == nil {
		return nil, errors.New("holds no PEM block")
	}
	return b, nil
}

// decodeCertificates is decodePEM for values that must hold certificates.
func decodeCertificates(s string) ([]byte, error) {
	b, err := decodePEM(s)
	if err != nil {
		return nil, err
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return nil, errors.New("holds no valid certificate")
	}
	return b, nil
}
