package ui

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"testing"

	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

func TestPagerKeepsFiltersAndBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query            string
		total            int
		offset, limit    int
		first, last      int
		prev, next       string
		hasPrev, hasNext bool
	}{
		{"q=a%20b&namespace=n", 120, 0, 50, 1, 50, "/routes?namespace=n&q=a+b", "/routes?namespace=n&offset=50&q=a+b", false, true},
		{"q=x&offset=100", 120, 100, 50, 101, 120, "/routes?offset=50&q=x", "/routes?offset=150&q=x", true, false},
		{"offset=-5&limit=100000", 3, 0, MaxLimit, 1, 3, "/routes?limit=100000", "/routes?limit=100000&offset=500", false, false},
		{"offset=junk&limit=0", 0, 0, DefaultLimit, 0, 0, "/routes?limit=0", "/routes?limit=0&offset=50", false, false},
	} {
		u := &url.URL{Path: "/routes", RawQuery: tc.query}
		p := PagerFor(u)
		p.Total = tc.total
		got := fmt.Sprint(p.Offset, p.Limit, p.First(), p.Last(), p.HasPrev(), p.HasNext(), p.PrevURL(), p.NextURL())
		want := fmt.Sprint(tc.offset, tc.limit, tc.first, tc.last, tc.hasPrev, tc.hasNext, tc.prev, tc.next)
		if got != want {
			t.Errorf("%s: got %s, want %s", tc.query, got, want)
		}
	}
}

// A list whose count stopped at a bound has a page after the bound's,
// however the bound falls; one whose count is whole has none after its end.
func TestPagerOfAListCountedUpToABound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		offset, total int
		more, hasNext bool
	}{
		{9950, 10_000, true, true}, // the page ends at the bound
		{9950, 10_000, false, false},
		{0, 10_000, true, true},
		{20_000, 20_050, true, true}, // counted to the page's end
	} {
		p := PagerFor(&url.URL{Path: "/activity", RawQuery: fmt.Sprintf("offset=%d", tc.offset)})
		p.Total, p.More = tc.total, tc.more
		if p.HasNext() != tc.hasNext {
			t.Errorf("offset %d of %d (more %t): has next %t, want %t", tc.offset, tc.total, tc.more, p.HasNext(), tc.hasNext)
		}
	}
}

// A huge offset in a URL once overflowed Offset+Limit to a negative
// number, which a page then sliced with and panicked on.
func TestPagerBoundsAHugeOffset(t *testing.T) {
	t.Parallel()
	p := PagerFor(&url.URL{Path: "/service-accounts", RawQuery: "offset=9223372036854775800&q=x"})
	p.Total = 3
	if p.Offset != MaxOffset {
		t.Fatalf("offset %d, want it bounded at %d", p.Offset, MaxOffset)
	}
	got := fmt.Sprint(p.First(), p.Last(), p.HasPrev(), p.HasNext(), p.PrevURL(), p.NextURL())
	want := fmt.Sprint(0, 3, true, false, "/service-accounts?q=x", fmt.Sprintf("/service-accounts?offset=%d&q=x", MaxOffset+p.Limit))
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if from, to := p.Window(3); from != 3 || to != 3 {
		t.Errorf("window of 3 items [%d, %d), want the empty [3, 3)", from, to)
	}
}

// Offset and Limit are exported: set beyond what PagerFor allows, the
// pager saturates instead of overflowing.
func TestPagerSaturatesOffsetsSetByHand(t *testing.T) {
	t.Parallel()
	p := &Pager{Offset: math.MaxInt - 10, Limit: MaxLimit, Total: 5, path: "/x"}
	if p.Last() != 5 || p.HasNext() || p.NextURL() != fmt.Sprintf("/x?offset=%d", math.MaxInt) {
		t.Errorf("last %d, has next %v, next %s", p.Last(), p.HasNext(), p.NextURL())
	}
	if from, to := p.Window(5); from != 5 || to != 5 {
		t.Errorf("window [%d, %d), want [5, 5)", from, to)
	}
	p = &Pager{Offset: 2, Limit: 10}
	if from, to := p.Window(5); from != 2 || to != 5 {
		t.Errorf("window [%d, %d), want [2, 5)", from, to)
	}
}

func TestFieldOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		err           error
		field, reason string
	}{
		{"refusal about an input", manage.Refuse(manage.CodeInvalid, "from", "must be a URL"), "from", "must be a URL"},
		{"stale write", manage.Refuse(manage.CodeConflict, "version", "expected version 3 but the object is at version 4"), "version", "expected version 3 but the object is at version 4"},
		{"conversion", &convert.FieldError{Field: "route.to[1]", Reason: "bad weight"}, "route.to[1]", "bad weight"},
		{"sentence without a field", manage.Refuse(manage.CodeInvalid, "", "set either a or b"), "", "set either a or b"},
		{"not the caller's to correct", manage.Refuse(manage.CodePermissionDenied, "name", "nope"), "", "name: nope"},
		{"internal", errors.New("disk on fire"), "", "internal error; the console logged the details"},
	} {
		field, reason := FieldOf(tc.err)
		if field != tc.field || reason != tc.reason {
			t.Errorf("%s: (%q, %q), want (%q, %q)", tc.name, field, reason, tc.field, tc.reason)
		}
	}
}

// TestFormRefuseLandsOnTheInput: a refusal lands on the form's input of
// the name it gives, or above the form when the form has no such input.
func TestFormRefuseLandsOnTheInput(t *testing.T) {
	t.Parallel()
	f := NewForm()
	f.Values["from"] = "ftp://x"
	f.Refuse(manage.Refuse(manage.CodeInvalid, "from", "must be a URL"))
	f.Refuse(manage.Refuse(manage.CodeInvalid, "to", "must be set"))
	if f.Err("from") != "must be a URL" || f.Err("") != "to: must be set" {
		t.Fatalf("errors %v", f.Errors)
	}
}
