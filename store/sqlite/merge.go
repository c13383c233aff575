package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
)

// The search index (FTS5) files each commit's changes as a new segment and
// merges segments into larger ones as they pile up. FTS5 would do that
// work within the commit of whichever write crossed its mark (its
// automerge): a merge of up to 64 pages for each level of the index, about
// 0.2 ms a page, which kept an edit waiting tens of milliseconds. Its
// migration turns that off. The store merges when writes pause instead
// (searchMerger), a few pages at a time, on the writing connection. While
// writes go on, FTS5 still merges a level within a commit once sixteen
// segments pile up on it (its crisismerge): on the first level, sixteen
// commits' segments of a page or so; each level up, sixteen times rarer
// and sixteen times larger.
const (
	// mergePages is how many pages one step of the merger writes at
	// most: about 3 ms, which a write that comes meanwhile waits.
	mergePages = 16
	// mergeBudget is how long the merger goes on taking steps, each its
	// own transaction, before it leaves the rest to the next checkpoint.
	mergeBudget = 100 * time.Millisecond
)

// searchMerger merges the search index's segments at the store's
// checkpoints when no object was written since the one before, and stops
// at the first write. It goes by the store's version, so that a store
// nobody writes to costs no write transaction.
type searchMerger struct {
	// seen is the store version at the last checkpoint; -1 before the
	// first.
	seen int64
	// quiet is the store version at which a merge last found nothing to
	// do; -1 before the first.
	quiet int64
	// failing says an error was logged and not yet followed by a merge
	// that worked.
	failing bool
}

// merge takes steps of mergePages while FTS5 finds something to merge (a
// level holding as many segments as its usermerge, 4), no object is
// written and mergeBudget lasts.
func (m *searchMerger) merge(ctx context.Context, s *Store, log logr.Logger) {
	version, err := s.Version(ctx)
	if err == nil && (version != m.seen || version == m.quiet) {
		// Written since the last checkpoint (merged once writes pause),
		// or nothing written since a merge found nothing to do.
		m.seen = version
		return
	}
	start := time.Now()
	steps, worked := 0, true
	for err == nil && worked && time.Since(start) < mergeBudget {
		if worked, err = s.mergeStep(ctx); err == nil {
			steps++
			m.seen, err = s.Version(ctx)
		}
		if err == nil && m.seen != version {
			break
		}
	}
	switch {
	case err != nil && ctx.Err() == nil && !m.failing:
		// Said once until a merge works again: searches slow down as
		// segments pile up, and writes merge them at sixteen.
		log.Error(err, "merge the embedded store's search index")
		m.failing = true
		return
	case err != nil:
		return
	case m.failing:
		log.Info("merging the embedded store's search index again")
		m.failing = false
	}
	if !worked {
		m.quiet = version
	}
	log.V(1).Info("merged the search index", "steps", steps, "took", time.Since(start), "done", !worked)
}

// mergeStep has FTS5 write up to mergePages pages of merged segments, in
// a transaction of its own on the writing connection. worked is false when
// there was nothing to merge: FTS5 counts a merge's writes to its tables
// as changes beside the command's own one.
func (s *Store) mergeStep(ctx context.Context) (worked bool, err error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var before, after int64
	if err := conn.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO objects_search (objects_search, rank) VALUES ('merge', %d)", mergePages)); err != nil {
		return false, err
	}
	if err := conn.QueryRowContext(ctx, "SELECT total_changes()").Scan(&after); err != nil {
		return false, err
	}
	return after-before >= 2, nil
}

// Settle merges the search index until FTS5 finds nothing to merge, as the
// store does a few pages at a time once writes pause. A benchmark calls it
// after seeding, to time searches as they are then rather than beside the
// merging.
func (s *Store) Settle(ctx context.Context) error {
	for {
		worked, err := s.mergeStep(ctx)
		if err != nil || !worked {
			return err
		}
	}
}
