package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pomerium-console/pomerium-console/store"
)

// TestStatusPayloadsFitANotification splits the keys of a large status
// write into payloads under PostgreSQL's 8,000-byte limit that, decoded,
// give back every key; a key too long for any payload is announced as
// possibly missed.
func TestStatusPayloadsFitANotification(t *testing.T) {
	t.Parallel()
	var keys []store.ObjectKey
	for i := range 5000 {
		keys = append(keys, store.ObjectKey{Kind: store.KindRoute, ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i)})
	}
	// Escaping makes a key longer on the wire than in memory.
	keys = append(keys, store.ObjectKey{Kind: store.KindPolicy, ID: strings.Repeat("\x01", 1000)})
	huge := store.ObjectKey{Kind: store.KindRoute, ID: strings.Repeat("x", 8000)}
	payloads, err := statusPayloads("me", append(keys, huge))
	if err != nil {
		t.Fatal(err)
	}
	var got []store.ObjectKey
	missed := false
	for _, p := range payloads {
		if len(p) >= 8000 {
			t.Errorf("a payload of %d bytes", len(p))
		}
		var decoded statusPayload
		if err := json.Unmarshal([]byte(p), &decoded); err != nil || decoded.Sender != "me" {
			t.Fatalf("payload %.80s...: sender %q, %v", p, decoded.Sender, err)
		}
		for _, k := range decoded.Objects {
			got = append(got, store.ObjectKey(k))
		}
		missed = missed || decoded.MaybeMissed
	}
	if diff := cmp.Diff(keys, got); diff != "" {
		t.Errorf("keys (-sent +received):\n%s", diff)
	}
	if !missed {
		t.Error("the key too long for a notification went unannounced")
	}
}
