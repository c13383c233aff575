package manage

import (
	"cmp"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/internal/english"
	"github.com/pomerium-console/pomerium-console/store"
)

// DeviceType is a device type of a cluster: the WebAuthn options Pomerium
// registers its devices with, named by PPL's `device: {type: <id>}`.
type DeviceType struct {
	*devicepb.Type
	// BuiltIn: Pomerium has a type of this id of its own (any,
	// enclave_only), which applies while no record overrides it.
	BuiltIn bool
	// Stored: a record of the cluster's databroker holds the type; for a
	// built-in id, it overrides Pomerium's own.
	Stored bool
	// ModifiedAt is when the record was last written; zero for a type
	// that is not stored.
	ModifiedAt time.Time
}

// DefaultDeviceTypeID is the type Pomerium registers a device with when
// nothing names another.
const DefaultDeviceTypeID = "any"

// builtInDeviceTypes are Pomerium v0.33's own device types
// (pkg/webauthnutil/device_type.go), in the order lists show them. They
// are not records: a record of the same id overrides one.
func builtInDeviceTypes() []*devicepb.Type {
	params := func() []*devicepb.WebAuthnOptions_PublicKeyCredentialParameters {
		var out []*devicepb.WebAuthnOptions_PublicKeyCredentialParameters
		for _, alg := range []int64{coseES256, coseRS256, coseRS1} {
			out = append(out, &devicepb.WebAuthnOptions_PublicKeyCredentialParameters{Type: devicepb.WebAuthnOptions_PUBLIC_KEY, Alg: alg})
		}
		return out
	}
	webauthn := func(sel *devicepb.WebAuthnOptions_AuthenticatorSelectionCriteria) *devicepb.Type_Webauthn {
		sel.UserVerification = devicepb.WebAuthnOptions_USER_VERIFICATION_PREFERRED.Enum()
		return &devicepb.Type_Webauthn{Webauthn: &devicepb.Type_WebAuthn{Options: &devicepb.WebAuthnOptions{
			Attestation: devicepb.WebAuthnOptions_DIRECT.Enum(), AuthenticatorSelection: sel, PubKeyCredParams: params(),
		}}}
	}
	return []*devicepb.Type{
		{Id: DefaultDeviceTypeID, Name: "Any", Specifier: webauthn(&devicepb.WebAuthnOptions_AuthenticatorSelectionCriteria{})},
		{Id: "enclave_only", Name: "Secure Enclave Only", Specifier: webauthn(&devicepb.WebAuthnOptions_AuthenticatorSelectionCriteria{
			AuthenticatorAttachment: devicepb.WebAuthnOptions_PLATFORM.Enum(), RequireResidentKey: proto.Bool(true),
		})},
	}
}

// builtInDeviceType returns Pomerium's own type of id, nil for none.
func builtInDeviceType(id string) *devicepb.Type {
	for _, t := range builtInDeviceTypes() {
		if t.GetId() == id {
			return t
		}
	}
	return nil
}

// ListDeviceTypes reads the device types of a cluster (SeeSessions in the
// cluster's namespace): Pomerium's built-in types first, as stored records
// override them, then the stored types by name.
func (a *App) ListDeviceTypes(ctx context.Context, c *Caller, clusterID string) ([]*DeviceType, error) {
	cl, err := a.databroker(c, "cluster_id", clusterID, SeeSessions)
	if err != nil {
		return nil, err
	}
	return a.deviceTypes(ctx, cl)
}

// deviceTypes reads the device types of a cluster, as ListDeviceTypes
// orders them.
func (a *App) deviceTypes(ctx context.Context, cl *inCluster) ([]*DeviceType, error) {
	stored := map[string]*DeviceType{}
	err := scanRecords(ctx, cl.broker, deviceTypeType, "", func(r *databrokerpb.Record) bool {
		var t devicepb.Type
		if decode(r, &t) == nil {
			stored[r.GetId()] = &DeviceType{Type: &t, Stored: true, ModifiedAt: r.GetModifiedAt().AsTime()}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	var out []*DeviceType
	for _, t := range builtInDeviceTypes() {
		if s := stored[t.GetId()]; s != nil {
			s.BuiltIn = true
			out = append(out, s)
			delete(stored, t.GetId())
			continue
		}
		out = append(out, &DeviceType{Type: t, BuiltIn: true})
	}
	rest := make([]*DeviceType, 0, len(stored))
	for _, t := range stored {
		rest = append(rest, t)
	}
	slices.SortFunc(rest, func(a, b *DeviceType) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.GetName()), strings.ToLower(b.GetName())), cmp.Compare(a.GetId(), b.GetId()))
	})
	return append(out, rest...), nil
}

// resolveDeviceType is the type of id as Pomerium resolves it: the stored
// or built-in type, or else, for an id no type has, the options of "any"
// under that id.
func resolveDeviceType(types []*DeviceType, id string) *DeviceType {
	for _, t := range types {
		if t.GetId() == id {
			return t
		}
	}
	fallback := builtInDeviceType(DefaultDeviceTypeID)
	fallback.Id = id
	return &DeviceType{Type: fallback}
}

// SetDeviceType creates or changes a device type of a cluster
// (ManageDevices in the cluster's namespace): a type without an id is
// created with a new one. A type without WebAuthn options takes those of
// "any". A stored type of a built-in id overrides Pomerium's own.
func (a *App) SetDeviceType(ctx context.Context, c *Caller, clusterID string, t *devicepb.Type) (*DeviceType, error) {
	cl, err := a.databroker(c, "cluster_id", clusterID, ManageDevices)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, invalid("", "a device type is required")
	}
	t = proto.Clone(t).(*devicepb.Type)
	if err := checkDeviceType(t); err != nil {
		return nil, err
	}
	data, err := anypb.New(t)
	if err != nil {
		return nil, err
	}
	res, err := cl.broker.Put(ctx, &databrokerpb.PutRequest{Records: []*databrokerpb.Record{{Type: deviceTypeType, Id: t.GetId(), Data: data}}})
	if err != nil {
		return nil, unreachable("write device type "+t.GetId(), err)
	}
	a.note(ctx, c, store.Note{Action: store.ActionSet, EntityType: store.EntityDeviceType, EntityID: t.GetId(), EntityName: t.GetName(), NamespaceID: cl.namespace}, protoAbout(t))
	out := &DeviceType{Type: t, BuiltIn: builtInDeviceType(t.GetId()) != nil, Stored: true, ModifiedAt: a.now()}
	if recs := res.GetRecords(); len(recs) == 1 {
		out.ModifiedAt = recs[0].GetModifiedAt().AsTime()
	}
	return out, nil
}

// deviceTypeID is what a type's id may be: PPL names it and Pomerium's
// registration links carry it in their query.
var deviceTypeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// maxDeviceTypeName bounds a type's name, which pages show.
const maxDeviceTypeName = 200

// checkDeviceType validates t and completes it: an id for a new type, the
// options of "any" where it has none.
func checkDeviceType(t *devicepb.Type) error {
	t.Name = strings.TrimSpace(t.GetName())
	switch {
	case t.GetId() == "":
		t.Id = uuid.NewString()
	case !deviceTypeID.MatchString(t.GetId()):
		return invalid("id", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit: PPL and Pomerium's registration links name the type by it")
	}
	switch {
	case t.GetName() == "":
		return invalid("name", "is required")
	case len(t.GetName()) > maxDeviceTypeName:
		return invalid("name", "is longer than %d bytes", maxDeviceTypeName)
	case strings.ContainsFunc(t.GetName(), unicode.IsControl):
		return invalid("name", "must not contain control characters")
	}
	if t.GetWebauthn().GetOptions() == nil {
		t.Specifier = builtInDeviceType(DefaultDeviceTypeID).GetSpecifier()
		return nil
	}
	return under(checkWebAuthnOptions(t.GetWebauthn().GetOptions()), "webauthn.options")
}

// protoAbout is a record's data as the activity log describes it.
func protoAbout(m proto.Message) map[string]any {
	var about map[string]any
	b, err := protojson.Marshal(m)
	if err != nil || json.Unmarshal(b, &about) != nil {
		return nil
	}
	return about
}

// DeleteDeviceType deletes a stored device type of a cluster
// (ManageDevices in the cluster's namespace). Pomerium's built-in types
// cannot be deleted: deleting a record that overrides one brings
// Pomerium's own back. A type that devices or enrollments use is refused:
// Pomerium would register the next devices of that id with the options of
// "any", and lists would show the devices with a type no one defined.
func (a *App) DeleteDeviceType(ctx context.Context, c *Caller, clusterID, id string) error {
	cl, err := a.databroker(c, "cluster_id", clusterID, ManageDevices)
	if err != nil {
		return err
	}
	if id == "" {
		return invalid("type_id", "is required")
	}
	builtIn := builtInDeviceType(id) != nil
	r, err := getRecord(ctx, cl.broker, deviceTypeType, id)
	switch {
	case err != nil:
		return err
	case r == nil && builtIn:
		return Refuse(CodeFailedPrecondition, "type_id", "%s is a device type built into Pomerium and cannot be deleted; setting a type of that id overrides it", id)
	case r == nil:
		return Refuse(CodeNotFound, "type_id", "device type %s not found", id)
	}
	if !builtIn {
		if err := a.typeUnused(ctx, cl, id); err != nil {
			return err
		}
	}
	if err := deleteRecords(ctx, cl.broker, []*databrokerpb.Record{r}, timestamppb.New(a.now())); err != nil {
		return err
	}
	var t devicepb.Type
	about := map[string]any{"id": id}
	if decode(r, &t) == nil {
		about = protoAbout(&t)
	}
	a.note(ctx, c, store.Note{Action: store.ActionDelete, EntityType: store.EntityDeviceType, EntityID: id, EntityName: t.GetName(), NamespaceID: cl.namespace}, about)
	return nil
}

// typeUnused refuses a type that credentials or enrollments of the
// cluster name.
func (a *App) typeUnused(ctx context.Context, cl *inCluster, id string) error {
	count := func(recordType string, typeOf func(*databrokerpb.Record) string) (int, error) {
		n := 0
		err := scanRecords(ctx, cl.broker, recordType, id, func(r *databrokerpb.Record) bool {
			if typeOf(r) == id {
				n++
			}
			return true
		})
		return n, err
	}
	creds, err := count(deviceCredentialType, func(r *databrokerpb.Record) string {
		var cred devicepb.Credential
		if decode(r, &cred) != nil {
			return "" // a record that does not decode names no type
		}
		return cred.GetTypeId()
	})
	if err != nil {
		return err
	}
	pending, err := count(deviceEnrollmentType, func(r *databrokerpb.Record) string {
		var e devicepb.Enrollment
		if decode(r, &e) != nil || e.GetEnrolledAt() != nil {
			return "" // enrolled: counted with its credential
		}
		return e.GetTypeId()
	})
	if err != nil {
		return err
	}
	if creds+pending > 0 {
		var users []string
		if creds > 0 {
			users = append(users, english.Plural(creds, "device"))
		}
		if pending > 0 {
			users = append(users, english.Plural(pending, "enrollment")+" not used yet")
		}
		them := "them"
		if creds+pending == 1 {
			them = "it"
		}
		return Refuse(CodeFailedPrecondition, "type_id", "device type %s is used by %s; delete %s first", id, strings.Join(users, " and "), them)
	}
	return nil
}
