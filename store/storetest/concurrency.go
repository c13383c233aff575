package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pomerium-console/pomerium-console/store"
)

func testConcurrency(t *testing.T, newEnv newEnvFunc) {
	subtest(t, "ExpectedVersionRace", newEnv, func(t *testing.T, f *fixture) {
		for round := range 5 {
			p := put(f, newPolicy(store.GlobalNamespaceID, fmt.Sprintf("p%d", round)))
			errs := race(2, func(i int) error {
				mine, err := store.Get[*store.Policy](f.ctx, f.s, p.ID)
				if err != nil {
					return err
				}
				mine.Description = fmt.Sprintf("writer %d", i)
				_, err = store.Put(f.ctx, f.s, apiActor, mine, p.Version)
				return err
			})
			wantOneWinner(t, fmt.Sprintf("round %d", round), errs, store.CodeConflict)
		}
	})
	subtest(t, "SameNameRace", newEnv, func(t *testing.T, f *fixture) {
		for round := range 5 {
			name := fmt.Sprintf("p%d", round)
			errs := race(2, func(int) error {
				_, err := store.Put(f.ctx, f.s, apiActor, newPolicy(store.GlobalNamespaceID, name), 0)
				return err
			})
			wantOneWinner(t, fmt.Sprintf("round %d", round), errs, store.CodeAlreadyExists)
		}
	})
	subtest(t, "ManyWriters", newEnv, testManyWriters)
}

// race runs fn on n goroutines released together and returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func wantOneWinner(t *testing.T, what string, errs []error, loser store.Code) {
	t.Helper()
	var won int
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case store.CodeOf(err) != loser:
			t.Errorf("%s: losing writer got %v, want code %q", what, err, loser)
		}
	}
	if won != 1 {
		t.Errorf("%s: %d writers succeeded (errors %v), want exactly one", what, won, errs)
	}
}

func testManyWriters(t *testing.T, f *fixture) {
	const writers, each = 20, 10
	v0 := f.version()
	versions := make([][]int64, writers)
	written := make([][]string, writers)
	errs := race(writers, func(w int) error {
		for i := range each {
			var obj store.Object = newPolicy(store.GlobalNamespaceID, fmt.Sprintf("w%d-%d", w, i))
			if i%2 == 1 {
				obj = newNamespace(store.GlobalNamespaceID, fmt.Sprintf("w%d-%d", w, i))
			}
			objs, err := f.s.Apply(f.ctx, apiActor, &store.PutOp{Object: obj})
			if err != nil {
				return fmt.Errorf("write %d: %w", i, err)
			}
			versions[w] = append(versions[w], objs[0].GetObjectMeta().Version)
			written[w] = append(written[w], objs[0].GetObjectMeta().ID)
		}
		return nil
	})
	for w, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	want := map[string]int64{}
	seen := map[int64]bool{}
	for w := range writers {
		for i, v := range versions[w] {
			if seen[v] {
				t.Errorf("version %d given to two writes", v)
			}
			seen[v] = true
			want[written[w][i]] = v
		}
	}
	cs, err := f.s.Changes(f.ctx, v0, 0)
	if err != nil {
		t.Fatalf("changes: %v", err)
	}
	got := map[string]int64{}
	for _, c := range cs.Changes {
		got[c.ID] = c.Version
	}
	assertEqual(t, "versions of the concurrent writes in Changes", want, got)
	if len(want) != writers*each {
		t.Errorf("%d writes succeeded, want %d", len(want), writers*each)
	}
	if v := f.version(); cs.StoreVersion != v {
		t.Errorf("changes read at store version %d, want %d", cs.StoreVersion, v)
	}
}
