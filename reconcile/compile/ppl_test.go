package compile

import (
	"fmt"
	"testing"
)

const (
	sshKey   = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMoi/F/4nPS8Sus5cUfyjb0Oe8OzAQv9v8GX6pSqq9MH test@example.com"
	shortFP  = "3f9a0c5cbd8f4e5a0d5d8e1c4b1f6e2a9c7d0b3e8f1a2b4c6d8e0f1a3b5c7d9e"
	longFP   = "3F:9A:0C:5C:BD:8F:4E:5A:0D:5D:8E:1C:4B:1F:6E:2A:9C:7D:0B:3E:8F:1A:2B:4C:6D:8E:0F:1A:3B:5C:7D:9E"
	spkiHash = "FsDbM0rUYIiL3V339eIKqiz6HPSB+Pz2WeAWhqlqh8U="
)

// rule wraps one criterion in allow.and.
func rule(criterion string) string { return "allow:\n  and:\n    - " + criterion + "\n" }

func TestValidatePPL(t *testing.T) {
	t.Parallel()
	valid := []string{
		"allow:\n  and:\n    - domain: {is: example.com}\n    - groups: {has: admins}\ndeny:\n  or:\n    - http_method: {is: DELETE}\n",
		`{"allow": {"or": [{"email": {"is": "a@example.com"}}]}}`,
		`[{"allow": {"and": [{"accept": true}]}}, {"deny": {"nor": [{"authenticated_user": true}]}}]`,
		"- allow:\n    not:\n      - reject: true\n- deny:\n    or:\n      - cors_preflight: true\n",
		"allow: {}",
		"{}",
		"[]",
		"allow:\n  and: []\n",
		// Criteria whose value is ignored.
		rule("accept: true"), rule("accept: null"), rule("reject: 1"), rule("authenticated_user: {}"),
		rule("cors_preflight: true"), rule("invalid_client_certificate: true"), rule("ssh_username_matches_email: true"),
		rule("ssh_username_matches_claim: sub"),
		// Lists of strings.
		rule("groups: admins"), rule("groups: {has: admins}"), rule("groups: {is: admins}"), rule("groups: {exclude: contractors}"),
		rule("claim/department: sales"), rule("claim/department: {has: sales}"), rule("claim/org/team: {is: a, exclude: b}"),
		// Client certificates.
		rule("client_certificate: {fingerprint: " + shortFP + "}"),
		rule("client_certificate: {fingerprint: '" + longFP + "'}"),
		rule("client_certificate: {fingerprint: [" + shortFP + ", '" + longFP + "']}"),
		rule("client_certificate: {spki_hash: '" + spkiHash + "'}"),
		rule("client_certificate: {spki_hash: ['" + spkiHash + "']}"),
		rule("client_certificate: {san_email: a@example.com, san_dns: {ends_with: .example.com}, san_uri: {starts_with: 'spiffe://'}}"),
		// Devices.
		rule("device: {}"), rule("device: {is: dev1}"), rule("device: {approved: true}"), rule("device: {approved: false, type: any}"),
		// Source addresses.
		rule("source_ip: 10.0.0.1"), rule("source_ip: 10.0.0.0/8"), rule("source_ip: ['2001:db8::1', '2001:db8::/32']"),
		// SSH keys.
		rule("ssh_publickey: '" + sshKey + "'"), rule("ssh_publickey: ['" + sshKey + "']"), rule("ssh_ca: '" + sshKey + "'"),
		rule(`ssh_publickey: 'no-pty,command="echo a b" ` + sshKey + `'`),
		rule("ssh_publickey: \"# comment\\n" + sshKey + "\""),
	}
	// Every string-matcher criterion with every string operator.
	for _, name := range []string{"domain", "email", "user", "http_method", "http_path", "mcp_tool", "ssh_username"} {
		valid = append(valid,
			rule(name+": x"),
			rule(name+": {is: x}"), rule(name+": {starts_with: x}"), rule(name+": {ends_with: x}"),
			rule(name+": {contains: x}"), rule(name+": {not: x}"),
			rule(name+": {in: [x, y]}"), rule(name+": {not_in: [x]}"),
			rule(name+": {starts_with: a, ends_with: b}"),
		)
	}
	for i, ppl := range valid {
		t.Run(fmt.Sprintf("valid/%d", i), func(t *testing.T) {
			t.Parallel()
			if err := ValidatePPL(ppl); err != nil {
				t.Errorf("ValidatePPL(%q) = %v, want nil", ppl, err)
			}
		})
	}

	for _, tc := range []struct{ ppl, want string }{
		{"", "is empty"},
		{"  \n# just a comment\n", "is empty"},
		{"allow: [", "is not valid YAML or JSON: yaml: line 1: did not find expected node content"},
		{`{"allow": }`, "allow: must be an object of and, or, not, nor, got null"},
		{`{"allow": {"or": [}}`, "is not valid YAML or JSON: yaml: did not find expected node content"},
		{"allow: {}\n---\ndeny: {}\n", "holds more than one YAML document; Pomerium would read only the first"},
		{"allow: {a: 1}\nallow: {}\n", "is not valid YAML or JSON: yaml: unmarshal errors:\n  line 2: mapping key \"allow\" already defined at line 1"},
		{"null", "must be a rule (an object with allow and/or deny) or a list of rules, got null"},
		{"42", "must be a rule (an object with allow and/or deny) or a list of rules, got a number"},
		{"[1]", "[0]: a rule must be an object with allow and/or deny, got a number"},
		{"permit: {}", `unknown action "permit": only allow and deny exist`},
		{"- allow: {}\n- grant: {}\n", `[1]: unknown action "grant": only allow and deny exist`},
		{"allow: [accept: true]", "allow: must be an object of and, or, not, nor, got a list"},
		{"allow: {xor: []}", `allow: unknown operator "xor": only and, or, not, nor exist`},
		{"allow: {action: allow}", `allow: unknown operator "action": only and, or, not, nor exist`},
		{"allow: {and: }", "allow.and: must be a list of criteria, got null"},
		{"allow: {or: {accept: true}}", "allow.or: must be a list of criteria, got an object"},
		{rule("accept"), "allow.and[0]: a criterion must be an object with one key, got a string"},
		{rule("{}"), "allow.and[0]: a criterion must have exactly one key, got 0 ()"},
		{rule("{accept: true, reject: true}"), "allow.and[0]: a criterion must have exactly one key, got 2 (accept, reject)"},
		{rule("or: [{accept: true}]"), `allow.and[0]: operators cannot be nested: "or" is not a criterion`},
		{rule("date: {after: 2020-01-01}"), `allow.and[0]: unknown criterion "date"`},
		{rule("day_of_week: monday"), `allow.and[0]: unknown criterion "day_of_week"`},
		{rule("time_of_day: {after: '9:00'}"), `allow.and[0]: unknown criterion "time_of_day"`},
		{rule("record: {}"), `allow.and[0]: unknown criterion "record"`},
		{rule("group: admins"), `allow.and[0]: unknown criterion "group"`},
		{rule("claim: sales"), "allow.and[0]: claim needs a name after a slash, e.g. claim/department"},
		{rule("claim/: sales"), "allow.and[0]: claim needs a name after a slash, e.g. claim/department"},
		{rule("email/work: a@example.com"), `allow.and[0]: email takes no sub-path ("work")`},
		// String matchers.
		{"allow:\n  and:\n    - accept: true\n    - email: {equals: a@example.com}\n", `allow.and[1].email: unknown matcher "equals"`},
		{rule("email: {}"), "allow.and[0].email: needs one of is, starts_with, ends_with, contains, not, in, not_in"},
		{rule("email: 42"), "allow.and[0].email: must be a string or an object of string matchers, got a number"},
		{rule("email: [a, b]"), "allow.and[0].email: must be a string or an object of string matchers, got a list"},
		{rule("user: {is: 12345}"), "allow.and[0].user.is: must be a string, got a number"},
		{rule("domain: {ends_with: [a]}"), "allow.and[0].domain.ends_with: must be a string, got a list"},
		{rule("http_method: {in: GET}"), "allow.and[0].http_method.in: must be a list of strings, got a string"},
		{rule("http_path: {not_in: [/a, 1]}"), "allow.and[0].http_path.not_in[1]: must be a string, got a number"},
		{rule("mcp_tool: {is: null}"), "allow.and[0].mcp_tool.is: must be a string, got null"},
		{rule("ssh_username: {has: root}"), `allow.and[0].ssh_username: unknown matcher "has"`},
		// String list matchers.
		{rule("groups: {in: [a]}"), `allow.and[0].groups: unknown matcher "in"`},
		{rule("groups: {}"), "allow.and[0].groups: needs one of has, is, exclude"},
		{rule("groups: {has: [a, b]}"), "allow.and[0].groups.has: must be a string, got a list"},
		{rule("groups: [a, b]"), "allow.and[0].groups: must be a string or an object of string list matchers, got a list"},
		{rule("claim/department: {contains: s}"), `allow.and[0].claim/department: unknown matcher "contains"`},
		{rule("ssh_username_matches_claim: 1"), "allow.and[0].ssh_username_matches_claim: must be the name of a claim, got a number"},
		{rule("ssh_username_matches_claim: ''"), "allow.and[0].ssh_username_matches_claim: must be the name of a claim, got a string"},
		// Client certificates.
		{rule("client_certificate: " + shortFP), "allow.and[0].client_certificate: must be an object of fingerprint, spki_hash, san_email, san_dns, san_uri, got a string"},
		{rule("client_certificate: {}"), "allow.and[0].client_certificate: needs one of fingerprint, spki_hash, san_email, san_dns, san_uri"},
		{rule("client_certificate: {subject: x}"), `allow.and[0].client_certificate: unknown certificate matcher "subject"`},
		{rule("client_certificate: {fingerprint: abc}"), `allow.and[0].client_certificate.fingerprint: "abc" is not a SHA-256 fingerprint (64 lower-case hex digits, or 32 upper-case hex bytes separated by colons)`},
		{rule("client_certificate: {fingerprint: []}"), "allow.and[0].client_certificate.fingerprint: must not be an empty list"},
		{rule("client_certificate: {fingerprint: [" + shortFP + ", 1]}"), "allow.and[0].client_certificate.fingerprint[1]: must be a string, got a number"},
		{rule("client_certificate: {spki_hash: abc}"), `allow.and[0].client_certificate.spki_hash: "abc" is not a base64-encoded SHA-256 hash`},
		{rule("client_certificate: {spki_hash: {is: x}}"), "allow.and[0].client_certificate.spki_hash: must be a string or a list of strings, got an object"},
		{rule("client_certificate: {san_dns: [a.example.com]}"), "allow.and[0].client_certificate.san_dns: must be a string or an object of string matchers, got a list"},
		{rule("client_certificate: {san_email: {equals: x}}"), `allow.and[0].client_certificate.san_email: unknown matcher "equals"`},
		// Devices.
		{rule("device: dev1"), "allow.and[0].device: must be an object of is, approved, type, got a string"},
		{rule("device: {colour: red}"), `allow.and[0].device: unknown device matcher "colour"`},
		{rule("device: {approved: 'yes'}"), "allow.and[0].device.approved: must be true or false, got a string"},
		{rule("device: {is: 7}"), "allow.and[0].device.is: must be a string, got a number"},
		{rule("device: {type: [a]}"), "allow.and[0].device.type: must be a string, got a list"},
		// Source addresses.
		{rule("source_ip: 10.0.0.256"), `allow.and[0].source_ip: "10.0.0.256" is not an IP address or CIDR range`},
		{rule("source_ip: [10.0.0.1, example.com]"), `allow.and[0].source_ip[1]: "example.com" is not an IP address or CIDR range`},
		{rule("source_ip: []"), "allow.and[0].source_ip: must not be an empty list"},
		{rule("source_ip: 10"), "allow.and[0].source_ip: must be a string or a list of strings, got a number"},
		// SSH keys.
		{rule("ssh_publickey: not-a-key"), `allow.and[0].ssh_publickey: "not-a-key" is not an SSH public key in authorized_keys format`},
		{rule("ssh_publickey: 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIMoi/F/4nPS8Sus5cUfyjb0Oe8OzAQv9v8GX6pSqq9MH'"), `allow.and[0].ssh_publickey: "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIMoi/F/4nPS8Sus5cUfyjb0Oe8OzAQv9v8GX6pSqq9MH" is not an SSH public key in authorized_keys format`},
		{rule("ssh_ca: ['" + sshKey + "', 'ssh-ed25519 !!!']"), `allow.and[0].ssh_ca[1]: "ssh-ed25519 !!!" is not an SSH public key in authorized_keys format`},
		{rule("ssh_ca: {}"), "allow.and[0].ssh_ca: must be a string or a list of strings, got an object"},
		// Values JSON cannot carry fail Pomerium's YAML-to-JSON conversion.
		{rule("accept: .nan"), "cannot be converted to JSON as Pomerium does: json: unsupported value: NaN"},
		{rule("{1: x}"), "cannot be converted to JSON as Pomerium does: json: unsupported type: map[interface {}]interface {}"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			err := ValidatePPL(tc.ppl)
			if err == nil {
				t.Fatalf("ValidatePPL(%q) = nil, want %q", tc.ppl, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("ValidatePPL(%q)\n got %q\nwant %q", tc.ppl, err.Error(), tc.want)
			}
		})
	}
}

// TestValidatePPLCoversEveryCriterion keeps the test table above honest: a
// criterion added to the table of known criteria needs a test.
func TestValidatePPLCoversEveryCriterion(t *testing.T) {
	t.Parallel()
	want := []string{
		"accept", "reject", "authenticated_user", "cors_preflight", "invalid_client_certificate",
		"ssh_username_matches_email", "ssh_username_matches_claim",
		"domain", "email", "user", "http_method", "http_path", "mcp_tool", "ssh_username",
		"groups", "claim", "client_certificate", "device", "source_ip", "ssh_publickey", "ssh_ca",
	}
	if len(criteria) != len(want) {
		t.Errorf("%d criteria known, %d tested", len(criteria), len(want))
	}
	for _, name := range want {
		if _, ok := criteria[name]; !ok {
			t.Errorf("criterion %q is not known", name)
		}
	}
}
