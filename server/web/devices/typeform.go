package devices

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/manage"
)

// Inputs of the device type form, named as the use cases name the type's
// fields, so that a refusal lands next to the input it is about.
const (
	fieldID           = "id"
	fieldName         = "name"
	optionsPrefix     = "webauthn.options."
	fieldAttestation  = optionsPrefix + "attestation"
	fieldAttachment   = optionsPrefix + "authenticator_selection.authenticator_attachment"
	fieldResidentKey  = optionsPrefix + "authenticator_selection.require_resident_key"
	fieldResidentReq  = optionsPrefix + "authenticator_selection.resident_key_requirement"
	fieldVerification = optionsPrefix + "authenticator_selection.user_verification"
	fieldAlgorithms   = optionsPrefix + "pub_key_cred_params"
)

// enumFields are the choices of the form that are WebAuthn enums, in the
// order the form shows them, with what each means.
var enumFields = []struct{ name, label, hint string }{
	{fieldAttachment, "Authenticator attachment", "platform: built into the device (Touch ID, Windows Hello, Android); cross-platform: a roaming security key (USB, NFC, Bluetooth); unset: either."},
	{fieldVerification, "User verification", "Whether the device must check who holds it (PIN, fingerprint, face) when it registers and signs in."},
	{fieldResidentReq, "Resident key requirement", "Whether the device keeps the credential itself (a passkey), so that it can sign in without a user name."},
	{fieldAttestation, "Attestation", "Whether Pomerium asks the device to prove its make and model; the devices list shows the kind it tells."},
}

// selectField is a choice among an enum's values; an empty value leaves
// the option unset.
type selectField struct {
	Name, Label, Hint string
	Options           []option
}

type option struct {
	Value, Label string
	Selected     bool
}

// algorithm is an algorithm a type may offer, checked when it does.
type algorithm struct {
	ID      int64
	Name    string
	Checked bool
}

// optionField is the field of a type's WebAuthn options an input names,
// and the message that holds it (made when make is set); nil when absent.
func optionField(o *devicepb.WebAuthnOptions, input string, make bool) (protoreflect.Message, protoreflect.FieldDescriptor) {
	m := o.ProtoReflect()
	path := strings.Split(strings.TrimPrefix(input, optionsPrefix), ".")
	for _, name := range path[:len(path)-1] {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		switch {
		case make:
			m = m.Mutable(fd).Message()
		case !m.Has(fd):
			return nil, nil
		default:
			m = m.Get(fd).Message()
		}
	}
	return m, m.Descriptor().Fields().ByName(protoreflect.Name(path[len(path)-1]))
}

// fill shows t in the form.
func (d *typeData) fill(t *devicepb.Type) {
	f := d.Form
	f.Values[fieldID], f.Values[fieldName] = t.GetId(), t.GetName()
	o := t.GetWebauthn().GetOptions()
	if o == nil {
		o = &devicepb.WebAuthnOptions{}
	}
	for _, e := range enumFields {
		f.Values[e.name] = ""
		if m, fd := optionField(o, e.name, false); m != nil && m.Has(fd) {
			f.Values[e.name] = string(fd.Enum().Values().ByNumber(m.Get(fd).Enum()).Name())
		}
	}
	f.Values[fieldResidentKey] = ""
	if rk := o.GetAuthenticatorSelection().RequireResidentKey; rk != nil {
		f.Values[fieldResidentKey] = strconv.FormatBool(*rk)
	}
	var algs []string
	for _, p := range o.GetPubKeyCredParams() {
		algs = append(algs, strconv.FormatInt(p.GetAlg(), 10))
	}
	f.Values[fieldAlgorithms] = strings.Join(algs, ",")
	d.choices()
}

// read takes the posted form into d and returns the type it describes.
// A value the form does not offer is an error of its input.
func (d *typeData) read(r *http.Request) *devicepb.Type {
	f := d.Form
	f.Values[fieldName] = strings.TrimSpace(r.PostFormValue(fieldName))
	if d.ID == "" {
		f.Values[fieldID] = strings.TrimSpace(r.PostFormValue(fieldID))
	}
	o := &devicepb.WebAuthnOptions{AuthenticatorSelection: &devicepb.WebAuthnOptions_AuthenticatorSelectionCriteria{}}
	for _, e := range enumFields {
		f.Values[e.name] = r.PostFormValue(e.name)
		if f.Values[e.name] == "" {
			continue
		}
		m, fd := optionField(o, e.name, true)
		v := fd.Enum().Values().ByName(protoreflect.Name(f.Values[e.name]))
		if v == nil {
			f.Errors[e.name] = "choose one of the values offered"
			continue
		}
		m.Set(fd, protoreflect.ValueOfEnum(v.Number()))
	}
	switch f.Values[fieldResidentKey] = r.PostFormValue(fieldResidentKey); f.Values[fieldResidentKey] {
	case "true", "false":
		o.AuthenticatorSelection.RequireResidentKey = new(f.Values[fieldResidentKey] == "true")
	case "":
	default:
		f.Errors[fieldResidentKey] = "choose one of the values offered"
	}
	var algs []string
	for _, raw := range r.PostForm[fieldAlgorithms] {
		alg, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			f.Errors[fieldAlgorithms] = "choose among the algorithms offered"
			continue
		}
		algs = append(algs, raw)
		o.PubKeyCredParams = append(o.PubKeyCredParams, &devicepb.WebAuthnOptions_PublicKeyCredentialParameters{Type: devicepb.WebAuthnOptions_PUBLIC_KEY, Alg: alg})
	}
	f.Values[fieldAlgorithms] = strings.Join(algs, ",")
	d.choices()
	id := f.Get(fieldID)
	if d.ID != "" {
		id = d.ID
	}
	return &devicepb.Type{Id: id, Name: f.Get(fieldName), Specifier: &devicepb.Type_Webauthn{Webauthn: &devicepb.Type_WebAuthn{Options: o}}}
}

// choices lays out the form's choices with the values of the form
// selected.
func (d *typeData) choices() {
	f := d.Form
	opts := &devicepb.WebAuthnOptions{}
	d.Selects = nil
	for _, e := range enumFields {
		_, fd := optionField(opts, e.name, true)
		sf := selectField{Name: e.name, Label: e.label, Hint: e.hint, Options: []option{{Value: "", Label: "unset", Selected: f.Get(e.name) == ""}}}
		values := fd.Enum().Values()
		for i := range values.Len() {
			name := string(values.Get(i).Name())
			sf.Options = append(sf.Options, option{Value: name, Label: enumName(name), Selected: f.Get(e.name) == name})
		}
		d.Selects = append(d.Selects, sf)
	}
	checked := strings.Split(f.Get(fieldAlgorithms), ",")
	d.Algs = nil
	for _, a := range manage.DeviceAlgorithms {
		id := strconv.FormatInt(a.ID, 10)
		d.Algs = append(d.Algs, algorithm{ID: a.ID, Name: a.Name, Checked: slices.Contains(checked, id)})
	}
}

// enumLabel is an enum value as a page names it: "cross-platform",
// "required".
func enumLabel(e protoreflect.Enum) string {
	v := e.Descriptor().Values().ByNumber(e.Number())
	if v == nil {
		return strconv.Itoa(int(e.Number()))
	}
	return enumName(string(v.Name()))
}

// enumName is the name of a value of a WebAuthn enum without the prefix
// its enum gives every value, in lower case with dashes.
func enumName(name string) string {
	for _, prefix := range []string{"USER_VERIFICATION_", "RESIDENT_KEY_"} {
		name = strings.TrimPrefix(name, prefix)
	}
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// algorithmName is a COSE algorithm's name, or its number for one Pomerium
// does not verify.
func algorithmName(id int64) string {
	for _, a := range manage.DeviceAlgorithms {
		if a.ID == id {
			return a.Name
		}
	}
	return strconv.FormatInt(id, 10)
}
