package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// JWKSRefetchInterval bounds how often Pomerium's JWKS is fetched again,
// which happens only when an assertion names a key (kid) the cached set
// does not hold: after Pomerium rotates its key. It keeps a caller with a
// made-up kid from turning every request into a fetch.
const JWKSRefetchInterval = time.Minute

// maxJWKSSize bounds the JWKS document; Pomerium's holds a few keys.
const maxJWKSSize = 1 << 20

// jwks is Pomerium's JWKS, fetched on first use and cached.
type jwks struct {
	url    string
	client *http.Client
	now    func() time.Time
	log    logr.Logger

	// fetching lets one request fetch while others with the same unknown
	// kid wait for its result instead of fetching too.
	fetching sync.Mutex

	mu        sync.Mutex
	keys      []jwk // from the last successful fetch
	loaded    bool
	attempted time.Time
	lastErr   error
}

type jwk struct {
	kid string
	key *ecdsa.PublicKey
}

func newJWKS(url string, client *http.Client, now func() time.Time, log logr.Logger) *jwks {
	return &jwks{url: url, client: client, now: now, log: log}
}

// lookup returns the keys called kid (every key when kid is empty) and the
// kids the set holds. It fetches the set on first use, and again when no
// key matches and the last attempt is JWKSRefetchInterval old. An error
// means the set could never be fetched.
func (j *jwks) lookup(ctx context.Context, kid string) ([]*ecdsa.PublicKey, []string, error) {
	if found, known := j.match(kid); len(found) > 0 {
		return found, known, nil
	}
	j.fetching.Lock()
	defer j.fetching.Unlock()
	// Another request may have fetched while this one waited.
	if found, known := j.match(kid); len(found) > 0 {
		return found, known, nil
	}
	if j.due() {
		j.refresh(ctx)
	}
	j.mu.Lock()
	loaded, lastErr, retry := j.loaded, j.lastErr, j.attempted.Add(JWKSRefetchInterval)
	j.mu.Unlock()
	if !loaded {
		return nil, nil, fmt.Errorf("fetch the JWKS at %s: %w (next attempt after %s)", j.url, lastErr, stamp(retry))
	}
	found, known := j.match(kid)
	return found, known, nil
}

func (j *jwks) match(kid string) (found []*ecdsa.PublicKey, known []string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, k := range j.keys {
		known = append(known, k.kid)
		if kid == "" || k.kid == kid {
			found = append(found, k.key)
		}
	}
	return found, known
}

func (j *jwks) due() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.attempted.IsZero() || j.now().Sub(j.attempted) >= JWKSRefetchInterval
}

// refresh fetches the set. A failed fetch keeps the keys of the last good one.
func (j *jwks) refresh(ctx context.Context) {
	// The fetch serves every waiting request, not only the one that
	// started it: a cancelled request must not cancel it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultJWKSTimeout)
	defer cancel()
	keys, err := j.fetch(ctx)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.attempted = j.now()
	if err != nil {
		j.lastErr = err
		j.log.Error(err, "fetch Pomerium's JWKS", "url", j.url)
		return
	}
	j.keys, j.loaded, j.lastErr = keys, true, nil
	kids := make([]string, len(keys))
	for i, k := range keys {
		kids[i] = k.kid
	}
	j.log.Info("fetched Pomerium's JWKS", "url", j.url, "kids", kids)
}

// rawJWK is one key of a JWKS (RFC 7517), as far as ES256 needs it.
type rawJWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func (j *jwks) fetch(ctx context.Context) ([]jwk, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, err
	}
	// The body is read to the end or abandoned; a close error changes
	// neither.
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(body) > maxJWKSSize {
		return nil, fmt.Errorf("document is larger than %d bytes", maxJWKSSize)
	}
	var doc struct {
		Keys []rawJWK `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	var keys []jwk
	for i, raw := range doc.Keys {
		key, err := parseJWK(raw)
		if err != nil {
			// Pomerium may publish keys of other kinds beside its
			// signing key; only P-256 signing keys matter here.
			j.log.V(1).Info("skip a JWKS key", "url", j.url, "index", i, "kid", raw.Kid, "reason", err.Error())
			continue
		}
		keys = append(keys, jwk{kid: raw.Kid, key: key})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("holds no ES256 (P-256) signing key among its %d keys", len(doc.Keys))
	}
	return keys, nil
}

func parseJWK(raw rawJWK) (*ecdsa.PublicKey, error) {
	switch {
	case raw.Kty != "EC" || raw.Crv != "P-256":
		return nil, fmt.Errorf("kty %q crv %q, want EC P-256", raw.Kty, raw.Crv)
	case raw.Use != "" && raw.Use != "sig":
		return nil, fmt.Errorf("use %q, want sig", raw.Use)
	case raw.Alg != "" && raw.Alg != "ES256":
		return nil, fmt.Errorf("alg %q, want ES256", raw.Alg)
	}
	x, errX := base64.RawURLEncoding.DecodeString(raw.X)
	y, errY := base64.RawURLEncoding.DecodeString(raw.Y)
	if err := errors.Join(errX, errY); err != nil {
		return nil, fmt.Errorf("x or y is not base64url: %w", err)
	}
	if len(x) != 32 || len(y) != 32 {
		return nil, fmt.Errorf("x and y are %d and %d bytes, want 32", len(x), len(y))
	}
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
}
