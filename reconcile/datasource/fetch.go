package datasource

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// Limits bound what one fetch may cost.
type Limits struct {
	// MaxBytes caps the body, after decompression. Default 64 MiB.
	MaxBytes int64
	// MaxRecords caps the rows. Default 100,000.
	MaxRecords int
	// Timeout caps the whole fetch, body included. Default 30 seconds.
	Timeout time.Duration
}

// The default limits.
const (
	DefaultMaxBytes   = 64 << 20
	DefaultMaxRecords = 100_000
	DefaultTimeout    = 30 * time.Second
)

// maxRedirects caps the redirects a fetch follows; each is dialled through
// the guard like the first request.
const maxRedirects = 5

// Fetcher fetches data sources through a Guard, within Limits.
type Fetcher struct {
	guard  *Guard
	limits Limits
}

// NewFetcher returns a fetcher; zero limits take their default.
func NewFetcher(g *Guard, l Limits) *Fetcher {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = DefaultMaxRecords
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return &Fetcher{guard: g, limits: l}
}

// Fetch reads a data source once and returns its rows as records. cert is
// the client certificate to present (the source's key pair), or nil.
func (f *Fetcher) Fetch(ctx context.Context, d *store.DataSource, cert *tls.Certificate) (*Table, error) {
	ctx, cancel := context.WithTimeout(ctx, f.limits.Timeout)
	defer cancel()
	client := f.client(d, cert)
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	for name, value := range d.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Accept", "application/json, text/csv;q=0.9, */*;q=0.1")
	// Asked for explicitly, the transport leaves decompression to us,
	// which caps what the body inflates to.
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", withoutQuery(err))
	}
	defer func() { _ = res.Body.Close() }() // a body read to its end or abandoned: nothing to report
	if res.StatusCode < 200 || res.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(res.Body, 200)) // what the server said, as far as it can be read
		return nil, fmt.Errorf("fetch: the server answered %s: %s", res.Status, strings.TrimSpace(string(snippet)))
	}
	body, err := f.body(res)
	if err != nil {
		return nil, err
	}
	return parse(body, res.Header.Get("Content-Type"), d.ForeignKey, f.limits.MaxRecords)
}

// client is an HTTP client for one data source: its TLS options, no proxy
// (the guard must see the address really dialled), every connection
// dialled through the guard.
func (f *Fetcher) client(d *store.DataSource, cert *tls.Certificate) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: f.guard.control}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: d.AllowInsecureTLS != nil && *d.AllowInsecureTLS} //nolint:gosec // the data source's own choice, off unless asked for
	if cert != nil {
		tlsConfig.Certificates = []tls.Certificate{*cert}
	}
	transport := &http.Transport{
		Proxy: nil, DialContext: dialer.DialContext, TLSClientConfig: tlsConfig,
		TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: f.limits.Timeout,
		MaxResponseHeaderBytes: 1 << 20, DisableCompression: true, ForceAttemptHTTP2: true,
	}
	return &http.Client{Transport: transport, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}}
}

// withoutQuery leaves the query of the URL out of an error of the HTTP
// client, which quotes it: a query may carry a token, and the error goes
// to the log and the source's status.
func withoutQuery(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	if u, perr := url.Parse(ue.URL); perr == nil && (u.RawQuery != "" || u.Fragment != "") {
		u.RawQuery, u.Fragment = "", ""
		return &url.Error{Op: ue.Op, URL: u.String() + "?…", Err: ue.Err}
	}
	return err
}

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// body reads the body, inflating gzip (said by Content-Encoding, or seen
// by its magic number), and refuses one past MaxBytes.
func (f *Fetcher) body(res *http.Response) ([]byte, error) {
	r := bufio.NewReader(io.LimitReader(res.Body, f.limits.MaxBytes+1))
	head, _ := r.Peek(len(gzipMagic)) // a shorter body is no gzip stream
	var in io.Reader = r
	if strings.EqualFold(res.Header.Get("Content-Encoding"), "gzip") || bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("read the gzip body: %w", err)
		}
		in = zr
	}
	body, err := io.ReadAll(io.LimitReader(in, f.limits.MaxBytes+1))
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("read the body: took longer than %v", f.limits.Timeout)
	case err != nil:
		return nil, fmt.Errorf("read the body: %w", err)
	case int64(len(body)) > f.limits.MaxBytes:
		return nil, fmt.Errorf("the body is larger than %d bytes", f.limits.MaxBytes)
	}
	return body, nil
}
