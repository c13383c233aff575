package compile

import (
	"encoding/base64"
	"fmt"
	"net"
	"regexp"
)

// criterionSpec says what one PPL criterion accepts.
type criterionSpec struct {
	// subPath is set for criteria written NAME/SUBPATH (claim/department).
	subPath bool
	check   func(path string, v any) error
}

// criteria are exactly the criteria Pomerium v0.33.0 registers
// (pkg/policy/criteria); Enterprise-only ones such as date or record are
// unknown to it and so unknown here.
var criteria = map[string]criterionSpec{
	"accept":                     {check: anyValue},
	"reject":                     {check: anyValue},
	"authenticated_user":         {check: anyValue},
	"cors_preflight":             {check: anyValue},
	"invalid_client_certificate": {check: anyValue},
	"ssh_username_matches_email": {check: anyValue},
	"domain":                     {check: checkStringMatcher},
	"email":                      {check: checkStringMatcher},
	"user":                       {check: checkStringMatcher},
	"http_method":                {check: checkStringMatcher},
	"http_path":                  {check: checkStringMatcher},
	"mcp_tool":                   {check: checkStringMatcher},
	"ssh_username":               {check: checkStringMatcher},
	"ssh_username_matches_claim": {check: checkClaimName},
	"groups":                     {check: checkStringListMatcher},
	"claim":                      {subPath: true, check: checkStringListMatcher},
	"client_certificate":         {check: checkCertificateMatcher},
	"device":                     {check: checkDeviceMatcher},
	"source_ip":                  {check: func(path string, v any) error { return checkStringOrList(path, v, checkIPOrCIDR) }},
	"ssh_publickey":              {check: func(path string, v any) error { return checkStringOrList(path, v, checkAuthorizedKey) }},
	"ssh_ca":                     {check: func(path string, v any) error { return checkStringOrList(path, v, checkAuthorizedKey) }},
}

// anyValue is for criteria that ignore their value (accept: true).
func anyValue(string, any) error { return nil }

// checkStringMatcher accepts a plain string (meaning is) or an object of
// string operators, which Pomerium combines with "and". Operands must be
// strings: Pomerium compiles any other value into a comparison that never
// matches, which would quietly turn an allow into nothing and a deny off.
func checkStringMatcher(path string, v any) error {
	switch t := v.(type) {
	case string:
		return nil
	case map[string]any:
		if len(t) == 0 {
			return pplErrorf(path, "needs one of is, starts_with, ends_with, contains, not, in, not_in")
		}
		for _, op := range sortedKeys(t) {
			at := joinPath(path, op)
			var err error
			switch op {
			case "is", "starts_with", "ends_with", "contains", "not":
				err = checkString(at, t[op])
			case "in", "not_in":
				err = checkStringList(at, t[op])
			default:
				return pplErrorf(path, "unknown matcher %q", op)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return pplErrorf(path, "must be a string or an object of string matchers, got %s", kindOf(v))
}

// checkStringListMatcher accepts a plain string (meaning has) or an object of
// has, is, exclude, each with a string operand.
func checkStringListMatcher(path string, v any) error {
	switch t := v.(type) {
	case string:
		return nil
	case map[string]any:
		if len(t) == 0 {
			return pplErrorf(path, "needs one of has, is, exclude")
		}
		for _, op := range sortedKeys(t) {
			switch op {
			case "has", "is", "exclude":
				if err := checkString(joinPath(path, op), t[op]); err != nil {
					return err
				}
			default:
				return pplErrorf(path, "unknown matcher %q", op)
			}
		}
		return nil
	}
	return pplErrorf(path, "must be a string or an object of string list matchers, got %s", kindOf(v))
}

func checkClaimName(path string, v any) error {
	s, ok := v.(string)
	if !ok || s == "" {
		return pplErrorf(path, "must be the name of a claim, got %s", kindOf(v))
	}
	return nil
}

// checkCertificateMatcher follows pkg/policy/criteria/client_certificate.go:
// fingerprint and spki_hash take a string or a list of strings in a fixed
// format, the san_* keys take a string matcher.
func checkCertificateMatcher(path string, v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return pplErrorf(path, "must be an object of fingerprint, spki_hash, san_email, san_dns, san_uri, got %s", kindOf(v))
	}
	if len(obj) == 0 {
		return pplErrorf(path, "needs one of fingerprint, spki_hash, san_email, san_dns, san_uri")
	}
	for _, key := range sortedKeys(obj) {
		at := joinPath(path, key)
		var err error
		switch key {
		case "fingerprint":
			err = checkStringOrList(at, obj[key], checkFingerprint)
		case "spki_hash":
			err = checkStringOrList(at, obj[key], checkSPKIHash)
		case "san_email", "san_dns", "san_uri":
			err = checkStringMatcher(at, obj[key])
		default:
			return pplErrorf(path, "unknown certificate matcher %q", key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var (
	shortFingerprint = regexp.MustCompile("^[0-9a-f]{64}$")
	longFingerprint  = regexp.MustCompile("^[0-9A-F]{2}(:[0-9A-F]{2}){31}$")
)

func checkFingerprint(path, s string) error {
	if shortFingerprint.MatchString(s) || longFingerprint.MatchString(s) {
		return nil
	}
	return pplErrorf(path, "%q is not a SHA-256 fingerprint (64 lower-case hex digits, or 32 upper-case hex bytes separated by colons)", s)
}

func checkSPKIHash(path, s string) error {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return nil
	}
	return pplErrorf(path, "%q is not a base64-encoded SHA-256 hash", s)
}

func checkDeviceMatcher(path string, v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return pplErrorf(path, "must be an object of is, approved, type, got %s", kindOf(v))
	}
	for _, key := range sortedKeys(obj) {
		at := joinPath(path, key)
		switch key {
		case "is", "type":
			if err := checkString(at, obj[key]); err != nil {
				return err
			}
		case "approved":
			if _, ok := obj[key].(bool); !ok {
				return pplErrorf(at, "must be true or false, got %s", kindOf(obj[key]))
			}
		default:
			return pplErrorf(path, "unknown device matcher %q", key)
		}
	}
	return nil
}

func checkIPOrCIDR(path, s string) error {
	if _, _, err := net.ParseCIDR(s); err == nil {
		return nil
	}
	if net.ParseIP(s) != nil {
		return nil
	}
	return pplErrorf(path, "%q is not an IP address or CIDR range", s)
}

// checkStringOrList accepts one string or a non-empty list of strings and
// checks each with each.
func checkStringOrList(path string, v any, each func(path, s string) error) error {
	switch t := v.(type) {
	case string:
		return each(path, t)
	case []any:
		if len(t) == 0 {
			return pplErrorf(path, "must not be an empty list")
		}
		for i, item := range t {
			at := fmt.Sprintf("%s[%d]", path, i)
			s, ok := item.(string)
			if !ok {
				return pplErrorf(at, "must be a string, got %s", kindOf(item))
			}
			if err := each(at, s); err != nil {
				return err
			}
		}
		return nil
	}
	return pplErrorf(path, "must be a string or a list of strings, got %s", kindOf(v))
}

func checkString(path string, v any) error {
	if _, ok := v.(string); !ok {
		return pplErrorf(path, "must be a string, got %s", kindOf(v))
	}
	return nil
}

func checkStringList(path string, v any) error {
	list, ok := v.([]any)
	if !ok {
		return pplErrorf(path, "must be a list of strings, got %s", kindOf(v))
	}
	for i, item := range list {
		if _, ok := item.(string); !ok {
			return pplErrorf(fmt.Sprintf("%s[%d]", path, i), "must be a string, got %s", kindOf(item))
		}
	}
	return nil
}
