package reconcile

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"

	"github.com/pomerium-console/pomerium-console/databroker"
	"github.com/pomerium-console/pomerium-console/store"
)

// DialCluster prepares a client of a cluster's databroker, read with its
// shared secret, with the cluster's TLS options: the certificate authority
// (inline or from its file) added to the system roots, the name to expect
// on the certificate, or no verification at all.
func DialCluster(c *store.Cluster, log logr.Logger) (*databroker.Client, error) {
	opts := databroker.Options{URL: c.DatabrokerServiceURL, SharedSecret: c.SharedSecret, Logger: log,
		InsecureSkipVerify: deref(c.InsecureSkipVerify), ServerName: deref(c.OverrideCertificateName)}
	ca := c.CertificateAuthority
	if f := deref(c.CertificateAuthorityFile); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("certificate_authority_file: %w", err)
		}
		ca = data
	}
	if len(ca) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("certificate_authority: holds no PEM certificate")
		}
		opts.RootCAs = pool
	}
	return databroker.Dial(opts)
}

// ProbeCluster reaches a cluster's databroker with its shared secret and
// TLS options: it asks for its server info, which a databroker answers
// only to callers with the secret, within five seconds.
func ProbeCluster(ctx context.Context, c *store.Cluster, log logr.Logger) error {
	client, err := DialCluster(c, log)
	if err != nil {
		return err
	}
	defer func() { _ = client.Close() }() // nothing is lost closing a client asked once
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = client.ServerInfo(ctx)
	return err
}
