package testcert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// DialVersion connects to addr over TLS offering exactly one version,
// trusting roots, and returns the handshake's error: what a client that
// speaks only that version meets. A server that negotiates another version
// is an error too.
func DialVersion(ctx context.Context, addr string, roots *x509.CertPool, version uint16) error {
	d := &tls.Dialer{Config: &tls.Config{RootCAs: roots, MinVersion: version, MaxVersion: version}} //nolint:gosec // old versions are offered on purpose, to be refused
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	got := conn.(*tls.Conn).ConnectionState().Version
	err = conn.Close()
	if got != version {
		err = errors.Join(fmt.Errorf("negotiated %s, offered only %s", tls.VersionName(got), tls.VersionName(version)), err)
	}
	return err
}
