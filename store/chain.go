package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// The activity log is a hash chain, so that rewriting its history shows.
// Every entry has a chain position (Seq: 1, 2, 3, ... with no gap, in commit
// order) and a hash that covers the hash of the entry before it and
// everything a reader of the entry sees:
//
//	Hash(n) = SHA-256(encode(chainTag, PrevHash(n), Seq, ID, Version, Time,
//	                         Subject, Origin, Action, EntityType, EntityID,
//	                         EntityName, NamespaceID, Snapshot, Diff,
//	                         Added, Removed))
//
// PrevHash(1) is GenesisHash (32 zero bytes) and PrevHash(n) is Hash(n-1).
// The encoding is length-prefixed and independent of any map order or
// JSON form: each text (the tag, the previous hash, the strings) is its
// length in bytes as an unsigned 64-bit big-endian integer followed by its
// bytes, and each number (Seq, ID, Version, the Time in microseconds since
// the Unix epoch as the store keeps it, Added, Removed) is a signed 64-bit
// big-endian integer, in the order above. A change of any field, of the
// position, or of the entry before changes the hash.
//
// The chain is keyless: whoever can write the database can also compute a
// new chain. It shows a change made without doing so, and anchors (a
// position and its hash kept outside the database) show a rewrite of the
// chain up to them.

// chainTag starts every encoded entry: a new encoding takes a new tag.
const chainTag = "pomerium-console activity chain v1"

// ChainHashSize is the size of an entry's hash.
const ChainHashSize = sha256.Size

// GenesisHash is the previous hash of the first entry of the chain.
var GenesisHash = make([]byte, ChainHashSize)

// ChainHash returns the hash of e chained to prev (see the encoding above).
// e.PrevHash and e.Hash are not read.
func ChainHash(prev []byte, e *ActivityEntry) []byte {
	h := sha256.New()
	var n [8]byte
	text := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	num := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	text([]byte(chainTag))
	text(prev)
	num(e.Seq)
	num(e.ID)
	num(e.Version)
	num(e.Time.UnixMicro())
	for _, s := range []string{e.Subject, string(e.Origin), string(e.Action), string(e.EntityType), e.EntityID,
		e.EntityName, e.NamespaceID, e.Snapshot, e.Diff} {
		text([]byte(s))
	}
	num(int64(e.Added))
	num(int64(e.Removed))
	return h.Sum(nil)
}

// ChainPoint is a position of the chain and the hash of its entry: where a
// verification stands, the head of the chain, or an anchor kept outside the
// store. The zero point is the start of the chain.
type ChainPoint struct {
	Seq int64
	// EntryID is the id of the entry at Seq (0 when unknown, as in an
	// anchor, or at the start).
	EntryID int64
	Hash    []byte
}

// String writes the point as an anchor: SEQ:HASH, the hash in hex.
func (p ChainPoint) String() string {
	return strconv.FormatInt(p.Seq, 10) + ":" + hex.EncodeToString(p.Hash)
}

// ParseAnchor reads an anchor written as SEQ:HASH (as ChainPoint.String
// writes it and serve logs it).
func ParseAnchor(s string) (ChainPoint, error) {
	seqText, hashText, ok := strings.Cut(s, ":")
	if !ok {
		return ChainPoint{}, fmt.Errorf("anchor %q: want SEQ:HASH, the position and the hash in hex", s)
	}
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || seq < 1 {
		return ChainPoint{}, fmt.Errorf("anchor %q: the position %q is not a number from 1 up", s, seqText)
	}
	hash, err := hex.DecodeString(hashText)
	if err != nil || len(hash) != ChainHashSize {
		return ChainPoint{}, fmt.Errorf("anchor %q: the hash is not %d bytes in hex", s, ChainHashSize)
	}
	return ChainPoint{Seq: seq, Hash: hash}, nil
}

// BreakKind says how the chain was found broken.
type BreakKind string

// The kinds of break a verification tells apart.
const (
	// BreakAltered: an entry's content (or position) no longer matches its
	// hash, or an entry verified earlier changed.
	BreakAltered BreakKind = "altered"
	// BreakRemoved: positions are missing, in the middle of the chain or
	// at its end.
	BreakRemoved BreakKind = "removed"
	// BreakInserted: an entry is outside the chain (no position, or a
	// position after the chain's head), or does not chain to the entry
	// before it, which was replaced or had an entry put before it.
	BreakInserted BreakKind = "inserted"
	// BreakReordered: entries are no longer in the order of their ids.
	BreakReordered BreakKind = "reordered"
	// BreakAnchor: the chain does not pass through an anchor it was given.
	BreakAnchor BreakKind = "anchor"
)

// ChainBreak is the first place a verification found the chain broken.
type ChainBreak struct {
	Kind BreakKind
	// Seq is the position of the break; EntryID the entry found there (0
	// when there is none, as for entries removed from the end).
	Seq     int64
	EntryID int64
	// Detail says what was found, naming the entries.
	Detail string
}

func (b *ChainBreak) Error() string {
	return fmt.Sprintf("activity log chain broken at position %d (%s): %s", b.Seq, b.Kind, b.Detail)
}
