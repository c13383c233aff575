package enrollment

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// The paths and query parameters of Pomerium's device registration page
// (pkg/endpoints, internal/urlutil/query_params.go).
const (
	// RegistrationPath is where Pomerium's proxy serves the device
	// registration page, on every route's host.
	RegistrationPath = "/.pomerium/webauthn"
	// EnrolledPath is Pomerium's page that says a device was enrolled:
	// where registration returns when no other redirect is given.
	EnrolledPath = "/.pomerium/device-enrolled"

	paramDeviceType      = "pomerium_device_type"
	paramEnrollmentToken = "pomerium_enrollment_token"
	paramRedirectURI     = "pomerium_redirect_uri"
	paramIssued          = "pomerium_issued"
	paramExpiry          = "pomerium_expiry"
	paramSignature       = "pomerium_signature"
)

// leeway is how far Pomerium lets a signed URL's times miss its clock
// (cryptutil.DefaultLeeway).
const leeway = 5 * time.Minute

// Link is a link to enroll a device on a pre-created enrollment.
type Link struct {
	// Host is the scheme and host of a route of the cluster (or its
	// authenticate service), where Pomerium serves the registration page.
	Host *url.URL
	// TypeID is the enrollment's device type; the page enrolls a device of
	// that type only.
	TypeID string
	// Token is the enrollment's token (Token).
	Token string
	// RedirectURL is where the page sends the user once the device is
	// enrolled; empty: Pomerium's own "device enrolled" page on Host.
	RedirectURL string
}

// URL is the registration page's URL for l, signed with the cluster's
// shared key as Pomerium's urlutil.SignedURL signs it: issued and expiry
// (Unix seconds) are part of the query, and the signature covers both.
// Pomerium refuses the page once expiry (plus its leeway) has passed, as
// it refuses the token.
func (l Link) URL(key []byte, issued, expiry time.Time) *url.URL {
	u := &url.URL{Scheme: l.Host.Scheme, Host: l.Host.Host, Path: RegistrationPath}
	redirect := l.RedirectURL
	if redirect == "" {
		redirect = (&url.URL{Scheme: l.Host.Scheme, Host: l.Host.Host, Path: EnrolledPath}).String()
	}
	q := url.Values{
		paramDeviceType:      {l.TypeID},
		paramEnrollmentToken: {l.Token},
		paramRedirectURI:     {redirect},
		paramIssued:          {strconv.FormatInt(issued.Unix(), 10)},
		paramExpiry:          {strconv.FormatInt(expiry.Unix(), 10)},
	}
	u.RawQuery = q.Encode()
	q.Set(paramSignature, urlSignature(key, u.String(), q.Get(paramIssued), q.Get(paramExpiry)))
	u.RawQuery = q.Encode()
	return u
}

// VerifyURL checks a signed URL as Pomerium's proxy does before it serves
// the registration page: the signature with key over the rest of the URL,
// the expiry and the issue time against now.
func VerifyURL(key []byte, u *url.URL, now time.Time) error {
	q := u.Query()
	sig, err := base64.URLEncoding.DecodeString(q.Get(paramSignature))
	if err != nil {
		return fmt.Errorf("malformed signature: %w", err)
	}
	q.Del(paramSignature)
	issued, err := strconv.ParseInt(q.Get(paramIssued), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", paramIssued, err)
	}
	expiry, err := strconv.ParseInt(q.Get(paramExpiry), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", paramExpiry, err)
	}
	if now.Add(-leeway).After(time.Unix(expiry, 0)) {
		return errors.New("the link has expired")
	}
	if now.Add(leeway).Before(time.Unix(issued, 0)) {
		return errors.New("the link was issued in the future")
	}
	// Pomerium signs the numbers as it reads them, not as the query spells
	// them.
	unsigned := *u
	unsigned.RawQuery = q.Encode()
	want, err := base64.URLEncoding.DecodeString(urlSignature(key, unsigned.String(), strconv.FormatInt(issued, 10), strconv.FormatInt(expiry, 10)))
	if err != nil || !hmac.Equal(sig, want) {
		return errors.New("the signature does not match")
	}
	return nil
}

// urlSignature is Pomerium's HMAC of a URL: SHA-512/256 over the URL, the
// issue time and, after a space, the expiry (what Go's fmt.Append writes
// for a string followed by two numbers), URL-safe base64 with padding.
func urlSignature(key []byte, rawURL, issued, expiry string) string {
	h := hmac.New(sha512.New512_256, key)
	h.Write([]byte(rawURL + issued + " " + expiry))
	return base64.URLEncoding.EncodeToString(h.Sum(nil))
}
