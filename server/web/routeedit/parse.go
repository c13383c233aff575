package routeedit

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/server/web/ui"
)

// post is one submitted tab: the fields as posted, the form as it showed
// the route, and the refusals found while reading it. Its readers return
// the current value untouched when the field still holds what the form
// showed, so that saving a form changes only what the viewer changed.
type post struct {
	in    url.Values
	shown map[string]string
	form  *ui.Form
}

// get is a field as posted, normalized.
func (p *post) get(name string) string { return normalize(p.in.Get(name)) }

// normalize makes the browser's line endings \n and trims the white space
// around a value.
func normalize(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

// changed reports whether any of the fields differs from what the form
// showed.
func (p *post) changed(names ...string) bool {
	for _, n := range names {
		if p.get(n) != normalize(p.shown[n]) {
			return true
		}
	}
	return false
}

// failf refuses a field; the message names the field, as the services do.
func (p *post) failf(name, format string, args ...any) {
	p.refuse(name, name+": "+fmt.Sprintf(format, args...))
}

// refuse records the first refusal of a field.
func (p *post) refuse(name, msg string) {
	if _, ok := p.form.Errors[name]; !ok {
		p.form.Errors[name] = msg
	}
}

func (p *post) ok() bool { return len(p.form.Errors) == 0 }

// text reads a plain string field.
func (p *post) text(name, cur string) string {
	if !p.changed(name) {
		return cur
	}
	return p.get(name)
}

// str reads an optional string field: empty unsets it.
func (p *post) str(name string, cur *string) *string {
	if !p.changed(name) {
		return cur
	}
	if v := p.get(name); v != "" {
		return &v
	}
	return nil
}

// flag reads a checkbox of an optional flag: unchecking a set flag makes
// it false rather than unset.
func (p *post) flag(name string, cur *bool) *bool {
	if !p.changed(name) {
		return cur
	}
	return new(p.get(name) != "")
}

// triState reads a select of an optional flag whose unset state means
// something (inherit the global setting): "", "true" or "false".
func (p *post) triState(name string, cur *bool) *bool {
	if !p.changed(name) {
		return cur
	}
	switch v := p.get(name); v {
	case "":
		return nil
	case "true", "false":
		return new(v == "true")
	default:
		p.failf(name, "%q is not one of true, false or empty", v)
		return cur
	}
}

// lines reads a list written one item per line; blank lines are skipped.
func (p *post) lines(name string, cur []string) []string {
	if !p.changed(name) {
		return cur
	}
	return splitLines(p.get(name))
}

func splitLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// list reads an optional list, one item per line: empty unsets it.
func (p *post) list(name string, cur *pb.Route_StringList) *pb.Route_StringList {
	if !p.changed(name) {
		return cur
	}
	if l := splitLines(p.get(name)); len(l) > 0 {
		return &pb.Route_StringList{Values: l}
	}
	return nil
}

// secret reads a secret the form never shows: empty keeps it, the
// companion checkbox NAME_clear removes it.
func (p *post) secret(name string, cur *string) *string {
	if p.get(name+"_clear") != "" {
		if p.get(name) != "" {
			p.failf(name, "give a new value or remove it, not both")
		}
		return nil
	}
	if v := p.get(name); v != "" {
		return &v
	}
	return cur
}

// duration reads a duration such as "30s" or "1m30s"; empty unsets it.
func (p *post) duration(name string, cur *durationpb.Duration) *durationpb.Duration {
	if !p.changed(name) {
		return cur
	}
	v := p.get(name)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.failf(name, "not a duration: %q (write e.g. 30s, 1m30s or 2h)", v)
		return cur
	case d < 0:
		p.failf(name, "must not be negative: %q", v)
		return cur
	}
	return durationpb.New(d)
}

// number reads an optional whole number between lo and hi; empty unsets
// it.
func number[T int32 | int64 | uint32](p *post, name string, cur *T, lo, hi int64) *T {
	if !p.changed(name) {
		return cur
	}
	return readNumber(p, name, cur, lo, hi)
}

// readNumber is number whether or not the field changed; on error it
// returns fallback.
func readNumber[T int32 | int64 | uint32](p *post, name string, fallback *T, lo, hi int64) *T {
	v := p.get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		p.failf(name, "%q is not a whole number from %d to %d", v, lo, hi)
		return fallback
	}
	return new(T(n))
}

// enum reads a select of an enum's value names; empty unsets it.
func enum[E ~int32](p *post, name string, cur *E, values map[string]int32) *E {
	if !p.changed(name) {
		return cur
	}
	v := p.get(name)
	if v == "" {
		return nil
	}
	n, ok := values[v]
	if !ok {
		p.failf(name, "%q is not one of the choices", v)
		return cur
	}
	return new(E(n))
}
