package settings

import (
	"net/url"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/api/configpb"
)

// option is one choice of a select or of the certificates' checkboxes.
type option struct {
	Value, Label string
	Selected     bool
}

// input is a field as the page shows it: its value (never a secret's),
// whether a secret is set, the choices and the error of a refused save.
type input struct {
	*field
	ID, Value string
	// Set: the settings hold a value (for a secret, shown instead of it).
	Set bool
	// Clear: the clear box of a secret was ticked in a refused save.
	Clear   bool
	Options []option
	// Display is the value in words for a viewer who may not edit.
	Display string
	Error   string
	// Inline counts the inline certificates of the certificates field,
	// which the page keeps as they are.
	Inline int
}

// DescribedBy lists the ids of the hint and the error of the input.
func (in *input) DescribedBy() string {
	var ids []string
	if in.Hint != "" || in.Secret {
		ids = append(ids, in.ID+"-hint")
	}
	if in.Error != "" {
		ids = append(ids, in.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// keyPair is a key pair the TLS section can refer to.
type keyPair struct{ ID, Name string }

// inputs builds the inputs of a section from the settings or, after a
// refused save, from the form as sent (secrets excepted: never echoed).
func inputs(sec *section, s *configpb.Settings, sent url.Values, errs map[string]string, keyPairs []keyPair) []*input {
	out := make([]*input, len(sec.Fields))
	for i, fl := range sec.Fields {
		in := &input{field: fl, ID: "s-" + strings.ReplaceAll(fl.Path, ".", "-"), Set: fl.isSet(s), Error: errs[fl.Path]}
		if !fl.Secret {
			in.Value = fl.format(s)
			if sent != nil {
				in.Value = sent.Get(fl.Path)
			}
		} else if sent != nil {
			in.Clear = sent.Get("clear_"+fl.Path) != ""
		}
		in.Options = optionsOf(fl, in.Value, keyPairs)
		in.Display = display(in)
		if fl.Kind == kindKeyPairs {
			in.Options, in.Inline = certificateOptions(fl, s, sent, keyPairs)
		}
		out[i] = in
	}
	return out
}

// optionsOf lists the choices of a select, with the value selected; a
// value the list lacks is offered too, so that saving keeps it.
func optionsOf(fl *field, value string, keyPairs []keyPair) []option {
	var opts []option
	switch fl.Kind {
	case kindBool:
		opts = []option{{"", "Pomerium's default", false}, {"true", "On", false}, {"false", "Off", false}}
	case kindChoice:
		opts = []option{{"", "Pomerium's default", false}}
		for _, c := range fl.Choices {
			opts = append(opts, option{c, c, false})
		}
	case kindEnum:
		opts = []option{{"", "Pomerium's default", false}}
		values := fl.leaf().Enum().Values()
		for i := range values.Len() {
			name := string(values.Get(i).Name())
			if strings.HasSuffix(name, "_UNKNOWN") || strings.HasSuffix(name, "_UNSPECIFIED") {
				continue
			}
			opts = append(opts, option{name, enumLabel(fl.leaf().Enum(), name), false})
		}
	case kindKeyPair:
		opts = []option{{"", "None", false}}
		for _, kp := range keyPairs {
			opts = append(opts, option{kp.ID, kp.Name, false})
		}
	default:
		return nil
	}
	found := false
	for i := range opts {
		if opts[i].Value == value {
			opts[i].Selected, found = true, true
		}
	}
	if !found {
		opts = append(opts, option{value, value, true})
	}
	return opts
}

// enumLabel names an enum value without the prefix every value shares:
// CODEC_TYPE_HTTP2 is "http2".
func enumLabel(ed protoreflect.EnumDescriptor, name string) string {
	prefix := strings.ToUpper(snake(string(ed.Name()))) + "_"
	if rest, ok := strings.CutPrefix(name, prefix); ok {
		return strings.ReplaceAll(strings.ToLower(rest), "_", " ")
	}
	return name
}

// snake turns CamelCase into snake_case.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// display is an input's value in words, for a page without the form.
func display(in *input) string {
	if in.Secret {
		return ""
	}
	for _, o := range in.Options {
		if o.Selected && o.Value != "" {
			return o.Label
		}
	}
	return in.Value
}

// certificateOptions offers every key pair as a certificate, ticked when
// the settings (or the refused form) refer to it, and counts the inline
// certificates.
func certificateOptions(fl *field, s *configpb.Settings, sent url.Values, keyPairs []keyPair) ([]option, int) {
	chosen := s.GetCertificateKeyPairIds()
	if sent != nil {
		chosen = sent[fl.Path]
	}
	opts := make([]option, 0, len(keyPairs))
	known := map[string]bool{}
	for _, kp := range keyPairs {
		known[kp.ID] = true
		opts = append(opts, option{kp.ID, kp.Name, slices.Contains(chosen, kp.ID)})
	}
	for _, id := range chosen {
		if !known[id] {
			opts = append(opts, option{id, id, true})
		}
	}
	return opts, len(s.GetCertificates())
}

// setKeyPairs refers to the chosen key pairs; the inline certificates stay
// as they are.
func setKeyPairs(s *configpb.Settings, ids []string) {
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	s.CertificateKeyPairIds = out
}
