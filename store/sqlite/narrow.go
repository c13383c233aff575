package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// narrowing holds what a search weighs to choose the part of its text it
// looks up in the trigram index (narrow).
type narrowing struct {
	// sample is how many of a phrase's matches, in row order, are read to
	// estimate how many it has.
	sample int
	// from is the estimated number of index entries below which a phrase
	// of the whole text is read as it is.
	from float64
	// compare is how many index entries a walk of the index reads in the
	// time it takes to read a row the index names and compare its text:
	// at a million routes, about 16 ns an entry and 4.7 µs a row.
	compare float64
	// trigrams bounds the trigrams of a text that are weighed; a longer
	// text is read whole.
	trigrams int
}

// narrowed is how searches weigh their texts; tests change it.
var narrowed = narrowing{sample: 256, from: 100_000, compare: 256, trigrams: 32}

// narrow returns the part of text (a phrase for MATCH) whose index entries,
// with the rows they name, are estimated to cost the least to read; ok is
// false when that is the whole text. FTS5 finds a phrase by walking the
// lists of all its trigrams, and a text's trigrams that most objects hold
// (".co", "exa" in every route's from) take most of that walk: a text a
// hundredth of a million routes hold walked six lists of a million
// entries to find 10,000 (about 0.1 s). A part of the text finds every
// object the text finds, and maybe others: the caller compares those with
// the whole text as well.
//
// How many entries each trigram has is estimated from the first few of
// its matches in row order (sample of them, at most): the rows they span
// out of every row's number. The part starts from the rarest trigram, and
// takes a neighbour in while the matches it is estimated to remove cost
// more to compare than the neighbour's entries cost to walk.
func (n narrowing) narrow(ctx context.Context, tx *sql.Tx, text string) (phrase string, ok bool, err error) {
	runes := []rune(text)
	grams := len(runes) - 2
	if grams < 2 || grams > n.trigrams {
		return "", false, nil
	}
	var first, last int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce((SELECT min(rowid) FROM objects), 0), coalesce((SELECT max(rowid) FROM objects), 0)").Scan(&first, &last); err != nil {
		return "", false, fmt.Errorf("read the rows' numbers: %w", err)
	}
	if float64(last-first+1)*float64(grams) < n.from {
		// Not even every row holding every trigram would make the
		// whole text's entries worth weighing.
		return "", false, nil
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("SELECT count(*), coalesce(max(rowid), 0) FROM (SELECT rowid FROM objects_search WHERE objects_search MATCH ?1 LIMIT %d)", n.sample))
	if err != nil {
		return "", false, fmt.Errorf("prepare the estimate of a search's matches: %w", err)
	}
	defer stmt.Close()
	// estimate is the number of matches of the part of text from trigram a
	// to trigram b.
	estimates := map[string]float64{}
	estimate := func(a, b int) (float64, error) {
		part := string(runes[a : b+3])
		if e, ok := estimates[part]; ok {
			return e, nil
		}
		var found, reached int64
		if err := stmt.QueryRowContext(ctx, quotePhrase(part)).Scan(&found, &reached); err != nil {
			return 0, fmt.Errorf("estimate the matches of %q: %w", part, err)
		}
		e := float64(found)
		if found == int64(n.sample) && reached >= first {
			e *= float64(last-first+1) / float64(reached-first+1)
		}
		estimates[part] = e
		return e, nil
	}
	entries := make([]float64, grams)
	var whole float64
	rarest := 0
	for i := range grams {
		if entries[i], err = estimate(i, i); err != nil {
			return "", false, err
		}
		whole += entries[i]
		if entries[i] < entries[rarest] {
			rarest = i
		}
	}
	if whole < n.from {
		return "", false, nil
	}
	a, b := rarest, rarest
	matches, walk := entries[rarest], entries[rarest]
	for a > 0 || b < grams-1 {
		// The cheaper neighbour to walk, if it pays.
		next := -1
		if a > 0 {
			next = a - 1
		}
		if b < grams-1 && (next < 0 || entries[b+1] < entries[next]) {
			next = b + 1
		}
		if entries[next] >= matches*n.compare {
			break
		}
		na, nb := min(a, next), max(b, next)
		m, err := estimate(na, nb)
		if err != nil {
			return "", false, err
		}
		if (matches-m)*n.compare <= entries[next] {
			break
		}
		a, b, matches, walk = na, nb, m, walk+entries[next]
	}
	if a == 0 && b == grams-1 || walk+matches*n.compare >= whole {
		return "", false, nil
	}
	return quotePhrase(string(runes[a : b+3])), true, nil
}

// quotePhrase makes text one FTS5 string, so that nothing in it is read
// as query syntax.
func quotePhrase(text string) string {
	return `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
}
