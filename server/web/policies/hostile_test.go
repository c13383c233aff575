package policies_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/internal/hostile"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// TestHostileInputThroughTheEditor posts the hostile names and PPL of the
// corpus through the policy editor's form: each is refused with 400 and
// the error beside its field (a form past ui.MaxFormBytes with 413),
// nothing stored; or stored and read back equal; within 2 s per MiB.
func TestHostileInputThroughTheEditor(t *testing.T) {
	t.Parallel()
	e, st := env(t)
	b := e.Recovery(global)
	for _, slot := range []hostile.Slot{hostile.Name, hostile.PPL} {
		for i, it := range hostile.Items(slot) {
			t.Run(it.Label, func(t *testing.T) {
				value := it.Value()
				form := editorForm(value, global, goodPPL)
				name := value
				if slot == hostile.PPL {
					name = "hostile-ppl-" + string(rune('a'+i))
					form = editorForm(name, global, value)
				}
				before, err := st.Version(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				res := b.Post("/policies/new", form)
				// 2 s per started MiB: the largest forms are read whole.
				if bound := 2 * time.Second * time.Duration(1+len(value)/hostile.MiB); time.Since(start) > bound {
					t.Errorf("answered in %v, more than %v", time.Since(start), bound)
				}
				after, err := st.Version(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if it.Want == hostile.Store {
					if res.Status != http.StatusSeeOther {
						t.Fatalf("status %d, want it stored: %s", res.Status, res.Find("main").Text())
					}
					got := policiesNamed(t, st, global, name)
					if len(got) != 1 || got[0].Name != name || (slot == hostile.PPL && got[0].PPL != value) {
						t.Fatalf("read back %d policies, want one equal to what was sent", len(got))
					}
					return
				}
				if after != before {
					t.Errorf("store version %d after a refusal, was %d", after, before)
				}
				if len(form.Encode()) > ui.MaxFormBytes {
					if res.Status != http.StatusRequestEntityTooLarge && res.Status != http.StatusBadRequest {
						t.Errorf("status %d for a form past %d bytes", res.Status, ui.MaxFormBytes)
					}
					return
				}
				if res.Status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400", res.Status)
				}
				if msg := res.Find("#" + string(slot) + "-error").Text(); msg == "" {
					t.Errorf("no error beside %s: %.300s", slot, res.Find("main").Text())
				}
			})
		}
	}
}
