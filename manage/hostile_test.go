package manage

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pomerium-console/pomerium-console/internal/hostile"
	"github.com/pomerium-console/pomerium-console/store"
)

// hostileBound is how long one import or apply of a hostile file may take,
// per started MiB of the hostile value: a 10 MiB name is decoded whole
// before it is refused (about 1.5 s alone, up to 7 s on two busy cores).
const hostileBound = 2 * time.Second

// yamlString writes s as a YAML double-quoted scalar byte for byte, so
// that invalid UTF-8 reaches the decoder as it is.
func yamlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := range len(s) {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestHostileInputThroughImportAndApply sends the hostile corpus through
// the use cases of import and apply (which the commands, LoadRoutes and
// the web console's import share): whole hostile files, and hostile names
// and from URLs inside valid ones. Each is refused, the error naming the
// content or the field, and nothing is written; or it is stored and reads
// back equal; always within hostileBound.
func TestHostileInputThroughImportAndApply(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.admin()
	type attempt struct {
		label string
		want  hostile.Outcome
		run   func() error
		// stored reads back what a stored item became.
		stored func() (string, error)
		value  string
	}
	var attempts []attempt
	for _, it := range hostile.Items(hostile.Document) {
		content := []byte(it.Value())
		attempts = append(attempts,
			attempt{label: "import/" + it.Label, want: it.Want, run: func() error {
				_, err := f.app.Import(f.ctx, admin, ImportInput{Content: content})
				return err
			}},
			attempt{label: "apply/" + it.Label, want: it.Want, run: func() error {
				_, err := f.app.Apply(f.ctx, admin, ApplyInput{Content: content})
				return err
			}})
	}
	for _, it := range hostile.Items(hostile.Name) {
		value := it.Value()
		doc := "format: pomerium-console/v1\npolicies:\n- namespace: Global\n  name: " + yamlString(value) + "\n  ppl: 'allow: {or: [{accept: true}]}'\n"
		attempts = append(attempts, attempt{label: "apply/" + it.Label, want: it.Want, value: value,
			run: func() error {
				_, err := f.app.Apply(f.ctx, admin, ApplyInput{Content: []byte(doc)})
				return err
			},
			stored: func() (string, error) { return f.storedName(store.KindPolicy, value) }})
	}
	for _, it := range hostile.Items(hostile.From) {
		value := it.Value()
		file := "routes:\n- from: " + yamlString(value) + "\n  to: https://upstream.internal\n  allow_public_unauthenticated_access: true\n"
		attempts = append(attempts, attempt{label: "import/" + it.Label, want: it.Want, value: value,
			run: func() error {
				plan, err := f.app.Import(f.ctx, admin, ImportInput{Content: []byte(file)})
				if err == nil && len(plan.Refused) > 0 {
					return plan.Refused[0]
				}
				return err
			},
			stored: func() (string, error) { return f.storedFrom(value) }})
	}
	for _, a := range attempts {
		t.Run(a.label, func(t *testing.T) {
			before := f.version(t)
			start := time.Now()
			err := a.run()
			if elapsed := time.Since(start); elapsed > hostileBound*time.Duration(1+len(a.value)/hostile.MiB) {
				t.Errorf("answered in %v, more than %v", elapsed, hostileBound)
			}
			after := f.version(t)
			if a.want == hostile.Refuse {
				if err == nil || err.Error() == "" {
					t.Fatalf("accepted, want a refusal")
				}
				var me *Error
				if errors.As(err, &me) && me.Field == "" {
					t.Errorf("refusal %v names no field", err)
				}
				if after != before {
					t.Errorf("store version %d after a refusal, was %d", after, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			got, err := a.stored()
			if err != nil {
				t.Fatal(err)
			}
			if got != a.value {
				t.Errorf("read back %q, sent %q", got, a.value)
			}
		})
	}
}

func (f *fixture) version(t *testing.T) int64 {
	t.Helper()
	v, err := f.store.Version(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// storedName is the name of the object of kind named name, read back from
// the store.
func (f *fixture) storedName(kind store.Kind, name string) (string, error) {
	st, err := f.store.Load(f.ctx)
	if err != nil {
		return "", err
	}
	for _, p := range st.Policies {
		if kind == store.KindPolicy && p.Name == name {
			return p.Name, nil
		}
	}
	return "", fmt.Errorf("no %s named %q stored", kind, name)
}

// storedFrom is the from of the route whose from is from, read back from
// the store.
func (f *fixture) storedFrom(from string) (string, error) {
	st, err := f.store.Load(f.ctx)
	if err != nil {
		return "", err
	}
	for _, r := range st.Routes {
		if r.Spec.GetFrom() == from {
			return r.Spec.GetFrom(), nil
		}
	}
	return "", fmt.Errorf("no route from %q stored", from)
}
