package ui

import (
	"math"
	"net/url"
	"strconv"
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
	// MaxOffset bounds the offset a URL may ask for: far beyond any list,
	// and small enough that an offset plus a limit never overflows an int,
	// even a 32-bit one, so that pages can slice and link past it safely.
	MaxOffset = math.MaxInt32 - MaxLimit
	// CountUpTo is how far a screen counts a list the store keeps no count
	// of (or to the end of the page it shows, when that is further):
	// counting a million activity entries, or a million routes a search
	// matches, takes longer than a screen may.
	CountUpTo = 10_000
)

// Pager is one page of a list whose filters live in the URL query.
type Pager struct {
	Offset, Limit, Total int
	// More says that the list holds more than Total items: its count
	// stopped there (see CountUpTo).
	More  bool
	query url.Values
	path  string
}

// PagerFor reads offset and limit from u's query, bounded; the other
// parameters (the filters) are kept in every link the pager makes.
func PagerFor(u *url.URL) *Pager {
	q := u.Query()
	p := &Pager{Offset: atoiDefault(q.Get("offset"), 0), Limit: atoiDefault(q.Get("limit"), DefaultLimit), query: q, path: u.Path}
	p.Offset = min(max(p.Offset, 0), MaxOffset)
	if p.Limit <= 0 {
		p.Limit = DefaultLimit
	}
	p.Limit = min(p.Limit, MaxLimit)
	return p
}

func atoiDefault(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// First is the 1-based number of the first item shown, 0 when none.
func (p *Pager) First() int {
	if p.Total == 0 || p.Offset >= p.Total {
		return 0
	}
	return p.Offset + 1
}

// end is the offset after the page. It saturates rather than overflows:
// Offset and Limit are exported, so a caller may set them beyond what
// PagerFor allows.
func (p *Pager) end() int {
	offset, limit := max(p.Offset, 0), max(p.Limit, 0)
	if limit > math.MaxInt-offset {
		return math.MaxInt
	}
	return offset + limit
}

// Last is the number of the last item shown.
func (p *Pager) Last() int { return min(p.end(), p.Total) }

// Window is the part [from, to) of a list of n items held in memory that
// the page shows; from <= to <= n, so slicing with it never panics, even
// for a page past the end.
func (p *Pager) Window(n int) (from, to int) {
	from = min(max(p.Offset, 0), n)
	return from, max(min(p.end(), n), from)
}

// HasPrev reports whether there is a page before.
func (p *Pager) HasPrev() bool { return p.Offset > 0 }

// HasNext reports whether there is a page after.
func (p *Pager) HasNext() bool { return p.end() < p.Total || p.More }

// PrevURL links the page before, with the same filters. From a page past
// the end it links the page that ends with the last item, rather than
// another empty page.
func (p *Pager) PrevURL() string { return p.at(max(min(p.Offset, p.Total)-p.Limit, 0)) }

// NextURL links the page after, with the same filters.
func (p *Pager) NextURL() string { return p.at(p.end()) }

func (p *Pager) at(offset int) string {
	q := cloneValues(p.query)
	if offset == 0 {
		q.Del("offset")
	} else {
		q.Set("offset", strconv.Itoa(offset))
	}
	return (&url.URL{Path: p.path, RawQuery: q.Encode()}).String()
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
