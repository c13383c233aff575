package store

import (
	"bytes"
	"encoding/hex"
	"fmt"
)

// ChainVerifier recomputes the hash chain of the activity log (see
// ChainHash) and finds the first place it is broken. A store feeds it
// (Store.VerifyActivity): Begin with the chain's head, Add with each entry
// of the chain from From on in chain order, Unchained with the first entry
// that has no position; Result gives the verdict. It reads no database
// itself, so what it decides is the same for every backend.
//
// A verifier that starts from a point verified before (NewChainVerifier
// with a non-zero point) first checks that the entry at that point still
// has the hash it had, then goes on from there: a verification that runs
// again and again reads only what was added since, and still sees a
// rewrite of the entry it stood on.
type ChainVerifier struct {
	from     ChainPoint
	anchors  map[int64][]byte
	progress func(done, total int64)

	head ChainPoint
	// at is the last entry that verified; resumed says the entry at from
	// was found again as it was.
	at      ChainPoint
	resumed bool
	checked int64
	// pending is an entry whose hash does not match, held until the next
	// entry tells an entry moved (a lower id after it) from one changed.
	pending *ActivityEntry
	brk     *ChainBreak
	outside *ActivityEntry
}

// ChainResult is the verdict of a verification.
type ChainResult struct {
	// Verified is the last position that verified: the head when the chain
	// is intact, the entry before the break otherwise.
	Verified ChainPoint
	// Head is the chain's head as the store records it.
	Head ChainPoint
	// Checked counts the entries verified by this run (not the one it
	// started from).
	Checked int64
	// Break is nil when the chain is intact.
	Break *ChainBreak
}

// NewChainVerifier returns a verifier that starts at from (the zero point:
// the start of the chain) and checks that the chain passes through each
// anchor at or after from.
func NewChainVerifier(from ChainPoint, anchors ...ChainPoint) *ChainVerifier {
	v := &ChainVerifier{from: from, at: from, anchors: map[int64][]byte{}}
	if from.Seq == 0 {
		v.at = ChainPoint{Hash: GenesisHash}
		v.resumed = true
	}
	for _, a := range anchors {
		v.anchors[a.Seq] = a.Hash
	}
	return v
}

// OnProgress makes the verifier call fn after each entry with how many it
// checked and how many the head says there are to check.
func (v *ChainVerifier) OnProgress(fn func(done, total int64)) { v.progress = fn }

// From is the first position the store hands over: the entry the verifier
// starts from (checked again), or 1.
func (v *ChainVerifier) From() int64 { return max(v.from.Seq, 1) }

// Begin starts the verification with the chain's head as the store
// records it.
func (v *ChainVerifier) Begin(head ChainPoint) { v.head = head }

// Total is how many entries the head says there are to check.
func (v *ChainVerifier) Total() int64 { return max(v.head.Seq-v.from.Seq, 0) }

// Add checks the next entry of the chain and reports whether the verifier
// wants more: false once it found a break.
func (v *ChainVerifier) Add(e *ActivityEntry) bool {
	if v.brk != nil {
		return false
	}
	if !v.resumed {
		v.resume(e)
		return v.brk == nil
	}
	if v.pending != nil {
		p := v.pending
		if e.ID < p.ID {
			v.fail(BreakReordered, p, "entry %d at position %d comes before entry %d at position %d although its id is higher: entries were moved",
				p.ID, p.Seq, e.ID, e.Seq)
		} else {
			v.altered(p)
		}
		return false
	}
	v.check(e)
	return v.brk == nil
}

func (v *ChainVerifier) resume(e *ActivityEntry) {
	f := v.from
	// Whatever is found, nothing is verified until the entry stands.
	v.at = ChainPoint{}
	switch {
	case e.Seq != f.Seq:
		v.fail(BreakRemoved, &ActivityEntry{Seq: f.Seq}, "entry %d at position %d, verified before, is gone", f.EntryID, f.Seq)
	case e.ID != f.EntryID || !bytes.Equal(e.Hash, f.Hash) || !bytes.Equal(ChainHash(e.PrevHash, e), e.Hash):
		v.fail(BreakAltered, e, "entry %d at position %d changed since it was verified (hash %s then)", e.ID, e.Seq, short(f.Hash))
	default:
		v.resumed, v.at = true, f
	}
}

// check checks e, the entry after v.at.
func (v *ChainVerifier) check(e *ActivityEntry) {
	want := v.at.Seq + 1
	switch {
	case e.Seq > v.head.Seq:
		v.fail(BreakInserted, e, "entry %d has position %d, after the chain's head at %d: it was added outside the store", e.ID, e.Seq, v.head.Seq)
		return
	case e.Seq > want:
		v.fail(BreakRemoved, &ActivityEntry{Seq: want}, "positions %d to %d are missing before entry %d: entries were removed", want, e.Seq-1, e.ID)
		return
	case e.Seq < want:
		v.fail(BreakInserted, e, "entry %d takes position %d again, after entry %d: it was added outside the store", e.ID, e.Seq, v.at.EntryID)
		return
	case e.ID <= v.at.EntryID:
		v.fail(BreakReordered, e, "entry %d at position %d has a lower id than entry %d before it: entries were moved", e.ID, e.Seq, v.at.EntryID)
		return
	case !bytes.Equal(ChainHash(e.PrevHash, e), e.Hash):
		v.pending = e
		return
	case !bytes.Equal(e.PrevHash, v.at.Hash):
		v.fail(BreakInserted, e, "entry %d at position %d does not chain to entry %d before it: one of them was replaced or put there outside the store",
			e.ID, e.Seq, v.at.EntryID)
		return
	}
	if a, ok := v.anchors[e.Seq]; ok && !bytes.Equal(a, e.Hash) {
		v.fail(BreakAnchor, e, "entry %d at position %d has hash %s, the anchor %s: the chain was rewritten up to here",
			e.ID, e.Seq, short(e.Hash), short(a))
		return
	}
	v.at = ChainPoint{Seq: e.Seq, EntryID: e.ID, Hash: e.Hash}
	v.checked++
	if v.progress != nil {
		v.progress(v.checked, v.Total())
	}
}

// Unchained tells the verifier of the first entry (by id) that has no
// position in the chain.
func (v *ChainVerifier) Unchained(e *ActivityEntry) { v.outside = e }

// Result ends the verification and returns its verdict.
func (v *ChainVerifier) Result() *ChainResult {
	switch {
	case v.brk != nil:
	case v.pending != nil:
		v.altered(v.pending)
	case !v.resumed:
		v.at = ChainPoint{}
		v.fail(BreakRemoved, &ActivityEntry{Seq: v.from.Seq}, "entry %d at position %d, verified before, is gone", v.from.EntryID, v.from.Seq)
	case v.at.Seq < v.head.Seq:
		v.fail(BreakRemoved, &ActivityEntry{Seq: v.at.Seq + 1}, "the chain's head is entry %d at position %d, the last entry found is at %d: entries were removed from the end",
			v.head.EntryID, v.head.Seq, v.at.Seq)
	case v.at.Seq > 0 && !bytes.Equal(v.at.Hash, v.head.Hash):
		v.fail(BreakAltered, &ActivityEntry{Seq: v.at.Seq, ID: v.at.EntryID}, "entry %d at position %d is not the entry the chain's head records (hash %s)",
			v.at.EntryID, v.at.Seq, short(v.head.Hash))
	case v.outside != nil:
		v.fail(BreakInserted, v.outside, "entry %d has no position in the chain: it was added outside the store (or by a console older than the chain)", v.outside.ID)
	default:
		v.checkAnchorsReached()
	}
	return &ChainResult{Verified: v.at, Head: v.head, Checked: v.checked, Break: v.brk}
}

func (v *ChainVerifier) checkAnchorsReached() {
	for seq := range v.anchors {
		if seq > v.at.Seq {
			v.fail(BreakAnchor, &ActivityEntry{Seq: seq}, "the chain ends at position %d, before the anchor at %d: entries were removed, or the anchor is another store's",
				v.at.Seq, seq)
			return
		}
	}
}

func (v *ChainVerifier) altered(e *ActivityEntry) {
	v.fail(BreakAltered, e, "entry %d at position %d does not match its hash: its content or position was changed", e.ID, e.Seq)
}

func (v *ChainVerifier) fail(kind BreakKind, e *ActivityEntry, format string, args ...any) {
	v.brk = &ChainBreak{Kind: kind, Seq: e.Seq, EntryID: e.ID, Detail: fmt.Sprintf(format, args...)}
}

// short is the start of a hash, enough to tell two apart in a message.
func short(h []byte) string {
	s := hex.EncodeToString(h)
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
