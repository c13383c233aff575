package ui

import (
	"errors"
	"fmt"
	"net/url"
	"testing"

	"connectrpc.com/connect"

	"github.com/pomerium-console/pomerium-console/store"
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

func TestWithResetsTheOffset(t *testing.T) {
	t.Parallel()
	u := &url.URL{Path: "/activity", RawQuery: "offset=100&type=route&q=x"}
	if got := With(u, "type", "policy"); got != "/activity?q=x&type=policy" {
		t.Errorf("With type=policy: %s", got)
	}
	if got := With(u, "q", ""); got != "/activity?type=route" {
		t.Errorf("With q removed: %s", got)
	}
}

func TestFieldOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		err           error
		field, reason string
	}{
		{"service message", connect.NewError(connect.CodeInvalidArgument, errors.New("route.from: must be a URL")), "route.from", "must be a URL"},
		{"store refusal passed on", connect.NewError(connect.CodeInvalidArgument, store.Invalid(store.KindRoute, "id-1", "name", "is required")), "name", "is required"},
		{"stale write", connect.NewError(connect.CodeFailedPrecondition, store.Conflict(store.KindRoute, "id-1", 3, 4)), "version", store.Conflict(store.KindRoute, "id-1", 3, 4).Reason},
		{"sentence without a field", connect.NewError(connect.CodeInvalidArgument, errors.New("set either a or b")), "", "set either a or b"},
		{"not the caller's to correct", connect.NewError(connect.CodePermissionDenied, errors.New("name: nope")), "", "name: nope"},
		{"internal", errors.New("disk on fire"), "", "internal error; the console logged the details"},
	} {
		field, reason := FieldOf(tc.err)
		if field != tc.field || reason != tc.reason {
			t.Errorf("%s: (%q, %q), want (%q, %q)", tc.name, field, reason, tc.field, tc.reason)
		}
	}
}

func TestFormRefuseMapsFields(t *testing.T) {
	t.Parallel()
	f := NewForm()
	f.Refuse(connect.NewError(connect.CodeInvalidArgument, errors.New("route.from: must be a URL")), map[string]string{"route.from": "from"})
	f.Refuse(connect.NewError(connect.CodeInvalidArgument, errors.New("route.to: must be set")), nil)
	if f.Err("from") != "must be a URL" || f.Err("") != "route.to: must be set" {
		t.Fatalf("errors %v", f.Errors)
	}
}
