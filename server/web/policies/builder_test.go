package policies

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/reconcile/compile"
)

// mixedRows is a rule with every operator and every kind of value.
var mixedRows = []row{
	{Op: "and", Criterion: "domain", Matcher: "is", Value: "example.com"},
	{Op: "and", Criterion: "groups", Matcher: "has", Value: "admins"},
	{Op: "or", Criterion: "email", Matcher: "ends_with", Value: "@example.org"},
	{Op: "or", Criterion: "claim", Claim: "department", Matcher: "is", Value: "sales"},
	{Op: "or", Criterion: "source_ip", Matcher: "is", Value: "10.0.0.0/8"},
	{Op: "not", Criterion: "http_method", Matcher: "is", Value: "DELETE"},
	{Op: "not", Criterion: "cors_preflight", Matcher: "is"},
}

const mixedPPL = `allow:
  and:
    - domain: {is: example.com}
    - groups: {has: admins}
  or:
    - email: {ends_with: '@example.org'}
    - claim/department: {is: sales}
    - source_ip: 10.0.0.0/8
  not:
    - http_method: {is: DELETE}
    - cors_preflight: true
`

func TestBuilderGeneratesValidPPL(t *testing.T) {
	t.Parallel()
	b := &builder{Action: "allow", Rows: mixedRows}
	got, ok := b.generate()
	if !ok {
		t.Fatalf("generate refused: %+v", b)
	}
	if diff := cmp.Diff(mixedPPL, got); diff != "" {
		t.Errorf("generated PPL (-want +got):\n%s", diff)
	}
	if err := compile.ValidatePPL(got); err != nil {
		t.Errorf("generated PPL is invalid: %v\n%s", err, got)
	}
}

func TestBuilderRoundTrips(t *testing.T) {
	t.Parallel()
	for _, rows := range [][]row{
		mixedRows,
		{{Op: "or", Criterion: "email", Matcher: "is", Value: "true"}, {Op: "or", Criterion: "email", Matcher: "contains", Value: "a: b # c"}},
		{{Op: "and", Criterion: "authenticated_user", Matcher: "is"}},
		{{Op: "not", Criterion: "claim", Claim: "a.b/c", Matcher: "exclude", Value: "10"}},
		{
			{Op: "and", Criterion: "device", Matcher: "approved", Value: "true"},
			{Op: "and", Criterion: "device", Matcher: "type", Value: "enclave_only"},
			{Op: "or", Criterion: "device", Matcher: "is", Value: "3FkpG8ZkPf2E"},
			{Op: "not", Criterion: "device", Matcher: "approved", Value: "false"},
		},
	} {
		b := &builder{Action: "deny", Rows: rows}
		ppl, ok := b.generate()
		if !ok {
			t.Fatalf("generate refused %+v", b.Rows)
		}
		if err := compile.ValidatePPL(ppl); err != nil {
			t.Errorf("generated PPL is invalid: %v\n%s", err, ppl)
		}
		back := builderFor(ppl)
		if back.Note != "" {
			t.Fatalf("builder cannot read its own PPL:\n%s", ppl)
		}
		if diff := cmp.Diff(rows, back.Rows); diff != "" {
			t.Errorf("rows -> PPL -> rows (-want +got):\n%s\nPPL:\n%s", diff, ppl)
		}
		again, _ := back.generate()
		if again != ppl {
			t.Errorf("PPL -> rows -> PPL changed it:\n%s\nthen\n%s", ppl, again)
		}
	}
}

func TestBuilderRefusesRowsItCannotWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		row  row
		want string
	}{
		{row{Op: "and", Criterion: "source_ip", Matcher: "starts_with", Value: "10."}, "source_ip takes a plain value"},
		{row{Op: "and", Criterion: "groups", Matcher: "starts_with", Value: "a"}, "groups takes the matchers has, is, exclude"},
		{row{Op: "and", Criterion: "email", Matcher: "is"}, "email needs a value"},
		{row{Op: "and", Criterion: "claim", Matcher: "is", Value: "x"}, "claim needs a claim name"},
		{row{Op: "and", Criterion: "email", Claim: "x", Matcher: "is", Value: "x"}, "only the claim criterion"},
		{row{Op: "and", Criterion: "accept", Matcher: "is", Value: "x"}, "accept takes no value"},
		{row{Op: "nor", Criterion: "email", Matcher: "is", Value: "x"}, "operator must be and, or or not"},
		{row{Op: "and", Criterion: "date", Matcher: "is", Value: "x"}, `unknown criterion "date"`},
		{row{Op: "and", Criterion: "device", Matcher: "approved", Value: "yes"}, "device approved takes true"},
		{row{Op: "and", Criterion: "device", Matcher: "approved"}, "device approved takes true"},
		{row{Op: "and", Criterion: "device", Matcher: "type"}, "device type needs a value"},
		{row{Op: "and", Criterion: "device", Matcher: "starts_with", Value: "x"}, "device takes the matchers approved, is, type"},
		{row{Op: "and", Criterion: "email", Matcher: "approved", Value: "true"}, "email takes the matchers is, starts_with"},
	} {
		b := &builder{Action: "allow", Rows: []row{tc.row}}
		if _, ok := b.generate(); ok {
			t.Errorf("generate accepted %+v", tc.row)
			continue
		}
		if !strings.Contains(b.Rows[0].Err, tc.want) {
			t.Errorf("row %+v: error %q, want it to say %q", tc.row, b.Rows[0].Err, tc.want)
		}
	}
	b := &builder{Action: "allow"}
	if _, ok := b.generate(); ok || b.Err == "" {
		t.Errorf("generate of no rows: ok=%v err=%q", ok, b.Err)
	}
}

func TestBuilderReadsFormRows(t *testing.T) {
	t.Parallel()
	form := url.Values{
		"b_action": {"deny"}, "b_op": {"and", "or"}, "b_crit": {"email", "claim"},
		"b_claim": {"", " dept "}, "b_match": {"is", "has"}, "b_value": {" a@example.com ", "x"},
	}
	want := &builder{Action: "deny", Rows: []row{
		{Op: "and", Criterion: "email", Matcher: "is", Value: "a@example.com"},
		{Op: "or", Criterion: "claim", Claim: "dept", Matcher: "has", Value: "x"},
	}}
	if diff := cmp.Diff(want, builderFrom(form)); diff != "" {
		t.Errorf("builder of the form (-want +got):\n%s", diff)
	}
}

func TestBuilderLeavesOtherPPLAlone(t *testing.T) {
	t.Parallel()
	for _, ppl := range []string{
		"- allow: {and: [{email: x}]}\n- deny: {and: [{email: y}]}\n",
		"allow: {nor: [{email: x}]}\n",
		"allow: {and: [{email: {in: [a, b]}}]}\n",
		"allow: {and: [{device: {approved: true, type: any}}]}\n",
		"allow: {and: [{device: {approved: 'yes'}}]}\n",
		"allow: {and: [{device: {is: true}}]}\n",
		"allow: {and: [{email: {is: a, starts_with: b}}]}\n",
		"allow: {and: [{email: x}]}\ndeny: {and: [{email: y}]}\n",
	} {
		if b := builderFor(ppl); b.Note == "" {
			t.Errorf("builder claims to show %q as %+v", ppl, b.Rows)
		}
	}
}

func TestDescribePPLErrorGivesTheLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ppl, want string }{
		{"allow:\n  and:\n    - email: {is: a}\n    - email: {equals: b}\n", `line 4, allow.and[1].email: unknown matcher "equals"`},
		{"allow:\n  and:\n    - claim/a.b: {is: [1]}\n", `line 3, allow.and[0].claim/a.b.is: must be a string, got a list`},
		{"allow:\n  and: [\n", "PPL: is not valid YAML or JSON: yaml: line 2"},
		{"", "PPL: is empty"},
		{`{"allow": {"or": [{"nope": 1}]}}`, `line 1, allow.or[0]: unknown criterion "nope"`},
	} {
		got := checkPPL(tc.ppl)
		if got.Valid || !strings.HasPrefix(got.Message, tc.want) {
			t.Errorf("check of %q = %+v, want a message starting %q", tc.ppl, got, tc.want)
		}
	}
	if got := checkPPL(mixedPPL); !got.Valid {
		t.Errorf("check of valid PPL: %+v", got)
	}
}

// The device criterion is written as PPL's device operators: approved a
// bool, is and type strings.
func TestBuilderWritesDevice(t *testing.T) {
	t.Parallel()
	b := &builder{Action: "allow", Rows: []row{
		{Op: "and", Criterion: "device", Matcher: "approved", Value: "true"},
		{Op: "and", Criterion: "device", Matcher: "type", Value: "enclave_only"},
		{Op: "not", Criterion: "device", Matcher: "is", Value: "true"},
	}}
	got, ok := b.generate()
	if !ok {
		t.Fatalf("generate refused: %+v", b)
	}
	want := "allow:\n  and:\n    - device: {approved: true}\n    - device: {type: enclave_only}\n  not:\n    - device: {is: \"true\"}\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("generated PPL (-want +got):\n%s", diff)
	}
	if err := compile.ValidatePPL(got); err != nil {
		t.Errorf("generated PPL is invalid: %v\n%s", err, got)
	}
}
