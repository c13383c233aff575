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
// automerge): a merge of 64 pages or more for each level of the index,
// about 0.2 ms a page, which kept an edit waiting tens of milliseconds.
// Its migration turns that off, and the store merges between writes
// instead, on the writing connection (searchMerger). FTS5 still merges a
// level within a commit once sixteen segments pile up on it (its
// crisismerge): on the first level, sixteen commits' segments of a page or
// so; each level up, sixteen times rarer and larger, which the merger
// keeps from happening unless writes outrun it.
const (
	// mergePages is how many pages a merge step writes before it stops
	// at the end of the term it is merging: about 3 ms, which a write
	// that comes meanwhile waits. A term that every object holds (a
	// trigram of "example.com") takes longer in a large segment.
	mergePages = 16
	// mergeBudget is how long the merger goes on taking steps once
	// writes paused, each its own transaction, before it leaves the
	// rest to the next checkpoint.
	mergeBudget = 100 * time.Millisecond
)

// mergeCommand has FTS5 merge up to mergePages pages: segments of a level
// holding four or more (its usermerge), a merge left unfinished, or a
// segment whose deleted rows reached a tenth of it (its deletemerge).
var mergeCommand = fmt.Sprintf("INSERT INTO objects_search (objects_search, rank) VALUES ('merge', %d)", mergePages)

// searchMerger merges the search index's segments at the store's
// checkpoints. While objects are written, it takes one step a checkpoint,
// so that writes that never pause do not leave every merge to FTS5's
// crisismerge. Once no object was written since the last checkpoint, it
// takes steps until nothing is left to merge, mergeBudget is spent or an
// object is written. (A store nobody writes to pays a step that writes
// nothing each checkpoint.)
type searchMerger struct {
	// seen is the store version at the last checkpoint; -1 before the
	// first.
	seen    int64
	failing failing
}

// merge takes the steps of one checkpoint.
func (m *searchMerger) merge(ctx context.Context, s *Store, log logr.Logger) {
	start := time.Now()
	version, err := s.Version(ctx)
	if err != nil {
		m.failing.report(ctx, log, fmt.Errorf("read the store version: %w", err), "merge the embedded store's search index", "")
		return
	}
	writing := version != m.seen
	m.seen = version
	steps, worked, err := s.mergeSteps(ctx, func() (bool, error) {
		if writing || time.Since(start) >= mergeBudget {
			return false, nil
		}
		var err error
		m.seen, err = s.Version(ctx)
		return m.seen == version, err
	})
	m.failing.report(ctx, log, err, "merge the embedded store's search index", "merging the embedded store's search index again")
	if err == nil && !writing && steps > 0 {
		log.V(1).Info("merged the search index", "steps", steps, "took", time.Since(start), "done", !worked)
	}
}

// mergeSteps takes merge steps while there is something to merge and more
// says to go on. worked is whether the last step merged something.
func (s *Store) mergeSteps(ctx context.Context, more func() (bool, error)) (steps int, worked bool, err error) {
	for {
		if worked, err = s.mergeStep(ctx); err != nil || !worked {
			return steps, worked, err
		}
		steps++
		if ok, err := more(); err != nil || !ok {
			return steps, worked, err
		}
	}
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
	if _, err := conn.ExecContext(ctx, mergeCommand); err != nil {
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
	_, _, err := s.mergeSteps(ctx, func() (bool, error) { return true, nil })
	return err
}

// failing logs a repeating task's error once, not at every try, and says
// so once the task works again.
type failing struct{ now bool }

// report logs err as the task's failure (failed), or again when the task
// works after a failure; nothing when ctx ended.
func (f *failing) report(ctx context.Context, log logr.Logger, err error, failed, again string) {
	switch {
	case err != nil && ctx.Err() == nil && !f.now:
		log.Error(err, failed)
		f.now = true
	case err == nil && f.now:
		log.Info(again)
		f.now = false
	}
}
