package enrollment

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// numericDate is how Pomerium's SignedURL holds a time: a number that is
// not a string, which fmt.Append separates from the next with a space.
type numericDate int64

func (n *numericDate) String() string { return strconv.FormatInt(int64(*n), 10) }

// pomeriumValidate is Pomerium v0.33's SignedURL.Validate, step by step,
// apart from its clock checks: what the proxy computes from the URL a
// browser opens.
func pomeriumValidate(key []byte, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	params := u.Query()
	sig, err := base64.URLEncoding.DecodeString(params.Get("pomerium_signature"))
	if err != nil {
		return err
	}
	params.Del("pomerium_signature")
	u.RawQuery = params.Encode()
	i, err := strconv.ParseInt(params.Get("pomerium_issued"), 10, 64)
	if err != nil {
		return err
	}
	e, err := strconv.ParseInt(params.Get("pomerium_expiry"), 10, 64)
	if err != nil {
		return err
	}
	issued, expiry := numericDate(i), numericDate(e)
	h := hmac.New(sha512.New512_256, key)
	h.Write(fmt.Append(nil, u.String(), &issued, &expiry))
	if !hmac.Equal(h.Sum(nil), sig) {
		return fmt.Errorf("hmac failed")
	}
	return nil
}

func TestLinkURLPassesPomeriumsCheck(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	l := Link{Host: &url.URL{Scheme: "https", Host: "app.example.com"}, TypeID: "enclave_only", Token: "tok"}
	u := l.URL(key, now, now.Add(24*time.Hour))
	if err := pomeriumValidate(key, u.String()); err != nil {
		t.Fatalf("Pomerium's check of %s: %v", u, err)
	}
	if err := VerifyURL(key, u, now.Add(time.Hour)); err != nil {
		t.Errorf("VerifyURL: %v", err)
	}
	q := u.Query()
	want := map[string]string{
		"pomerium_device_type": "enclave_only", "pomerium_enrollment_token": "tok",
		"pomerium_redirect_uri": "https://app.example.com/.pomerium/device-enrolled",
		"pomerium_issued":       "1800000000", "pomerium_expiry": "1800086400",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if u.Scheme != "https" || u.Host != "app.example.com" || u.Path != "/.pomerium/webauthn" {
		t.Errorf("the link goes to %s", u)
	}
}

func TestVerifyURLRefuses(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	l := Link{Host: &url.URL{Scheme: "https", Host: "app.example.com"}, TypeID: "any", Token: "tok", RedirectURL: "https://app.example.com/done"}
	u := l.URL(key, now, now.Add(time.Hour))
	if got := u.Query().Get("pomerium_redirect_uri"); got != "https://app.example.com/done" {
		t.Errorf("redirect %q", got)
	}
	changed := func(k, v string) *url.URL {
		c := *u
		q := c.Query()
		q.Set(k, v)
		c.RawQuery = q.Encode()
		return &c
	}
	for name, tc := range map[string]struct {
		u   *url.URL
		key []byte
		now time.Time
	}{
		"another key":        {u, []byte("another key of thirty-two bytes!"), now},
		"another type":       {changed("pomerium_device_type", "enclave_only"), key, now},
		"a later expiry":     {changed("pomerium_expiry", "1900000000"), key, now},
		"expired":            {u, key, now.Add(time.Hour + leeway + time.Second)},
		"issued in future":   {u, key, now.Add(-leeway - time.Second)},
		"another host":       {&url.URL{Scheme: "https", Host: "evil.example.com", Path: u.Path, RawQuery: u.RawQuery}, key, now},
		"a broken signature": {changed("pomerium_signature", "!"), key, now},
	} {
		if err := VerifyURL(tc.key, tc.u, tc.now); err == nil {
			t.Errorf("%s: VerifyURL took it", name)
		}
		if name != "expired" && name != "issued in future" && pomeriumValidate(tc.key, tc.u.String()) == nil {
			t.Errorf("%s: Pomerium's check takes it: the test is wrong", name)
		}
	}
}
