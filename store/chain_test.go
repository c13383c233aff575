package store_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestChainHashEncoding pins the encoding the chain's doc describes: the
// hash below was computed apart from this code, from that description
// (length-prefixed texts, 64-bit big-endian numbers, in the listed order).
// A change of the encoding breaks every stored chain and must take a new
// tag instead.
func TestChainHashEncoding(t *testing.T) {
	t.Parallel()
	e := &store.ActivityEntry{ID: 7, Version: 3, Time: time.UnixMicro(1_700_000_000_123_456), Subject: "alice@example.com",
		Origin: store.OriginAPI, Action: store.ActionSet, EntityType: store.KindRoute, EntityID: "r1", EntityName: "app",
		NamespaceID: store.GlobalNamespaceID, Snapshot: "{\n  \"name\": \"app\"\n}", Diff: "+name", Added: 1, Seq: 2}
	const want = "ae36a2ab97f569ec4e42ebd50165f06d7130e26ccbb1dfa7f224e5b226fae481"
	if got := hex.EncodeToString(store.ChainHash(store.GenesisHash, e)); got != want {
		t.Fatalf("hash = %s, want %s", got, want)
	}
	// Moving text between two fields changes the hash: the lengths are
	// part of it.
	moved := *e
	moved.EntityID, moved.EntityName = "r1a", "pp"
	if hex.EncodeToString(store.ChainHash(store.GenesisHash, &moved)) == want {
		t.Fatal("moving bytes between fields kept the hash")
	}
}

func TestParseAnchor(t *testing.T) {
	t.Parallel()
	hash := strings.Repeat("ab", store.ChainHashSize)
	p, err := store.ParseAnchor("42:" + hash)
	if err != nil || p.Seq != 42 || p.String() != "42:"+hash {
		t.Fatalf("ParseAnchor = %+v, %v", p, err)
	}
	for in, wantErr := range map[string]string{
		"42":                     "want SEQ:HASH",
		"0:" + hash:              "not a number from 1 up",
		"x:" + hash:              "not a number from 1 up",
		"42:abcd":                "not 32 bytes in hex",
		"42:" + hash[:62] + "zz": "not 32 bytes in hex",
	} {
		if _, err := store.ParseAnchor(in); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ParseAnchor(%q) = %v, want an error saying %q", in, err, wantErr)
		}
	}
}
