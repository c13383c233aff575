package manage

import (
	"cmp"
	"context"
	"slices"
	"time"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
)

// The record types of Pomerium's devices.
var (
	deviceTypeType       = typeOf(&devicepb.Type{})
	deviceEnrollmentType = typeOf(&devicepb.Enrollment{})
	deviceCredentialType = typeOf(&devicepb.Credential{})
)

// Device is a device of a cluster as Pomerium keeps it: the WebAuthn
// credential a user registered, joined with its enrollment, its type and
// what the cluster's records say of its user and approver.
type Device struct {
	// Credential is nil for an enrollment the console created that no
	// device has used yet.
	Credential *devicepb.Credential
	// Enrollment is nil for a credential whose enrollment record is gone.
	Enrollment *devicepb.Enrollment
	// Type is the device type the credential (or the enrollment) names,
	// as Pomerium resolves it.
	Type *DeviceType
	// User is the device's user; ApprovedBy who approved it (ID empty when
	// no one did). Name and email are empty where the cluster holds no
	// record of that id (an approver who is a service account of the
	// console, or a recovery token, has none).
	User, ApprovedBy Person
	// CredentialModifiedAt and EnrollmentModifiedAt are when the
	// databroker last wrote each record; zero for a record that is absent.
	CredentialModifiedAt, EnrollmentModifiedAt time.Time
	ClusterID                                  string
}

// ID names the device in ApproveDevice and DeleteDevice: its credential
// id, or the enrollment id of an enrollment no device has used.
func (d *Device) ID() DeviceRef {
	if d.Credential != nil {
		return DeviceRef{CredentialID: d.Credential.GetId()}
	}
	return DeviceRef{EnrollmentID: d.Enrollment.GetId()}
}

// Approved reports whether the device is approved: what PPL's
// `device: {approved: true}` requires, a non-empty approved_by.
func (d *Device) Approved() bool { return d.Enrollment.GetApprovedBy() != "" }

// Pending reports whether the device is an enrollment no device has used
// yet.
func (d *Device) Pending() bool { return d.Credential == nil }

// AttestationFormat is the WebAuthn attestation format the device
// registered with ("packed", "tpm", "apple", …), "" where its registration
// does not say.
func (d *Device) AttestationFormat() string {
	return attestationFormat(d.Credential.GetWebauthn().GetRegisterResponse())
}

// DeviceFilter selects devices; a nil field selects all.
type DeviceFilter struct {
	TypeID, UserID *string
	// ApprovedBy selects the devices approved by that id; the empty
	// string selects those not approved.
	ApprovedBy *string
	// Approved selects the devices approved by anyone (true) or by no one
	// (false).
	Approved *bool
}

// selects reports whether f selects d.
func (f DeviceFilter) selects(d *Device) bool {
	is := func(want *string, got string) bool { return want == nil || *want == got }
	return is(f.TypeID, d.typeID()) && is(f.UserID, d.userID()) && is(f.ApprovedBy, d.Enrollment.GetApprovedBy()) &&
		(f.Approved == nil || *f.Approved == d.Approved())
}

// ListDevices reads the devices of a cluster that f selects (SeeSessions
// in the cluster's namespace), by user, then newest enrollment first.
// Enrollments the console created that no device has used yet are listed
// too, without a credential: deleting one withdraws its link.
//
// Credentials and enrollments are read a page of records at a time and
// matched here: their fields are not indexed, and the databroker's
// file and memory backends answer a filter on them with nothing.
func (a *App) ListDevices(ctx context.Context, c *Caller, clusterID string, f DeviceFilter) ([]*Device, error) {
	cl, err := a.databroker(c, "cluster_id", clusterID, SeeSessions)
	if err != nil {
		return nil, err
	}
	// A user id narrows both scans on the databroker's side (a substring of
	// some field); the exact match is made here.
	var text string
	if f.UserID != nil {
		text = *f.UserID
	}
	// Every enrollment is held while the credentials are read: a device is
	// selected on its credential's type and user and its enrollment's
	// approval.
	enrollments := map[string]*devicepb.Enrollment{}
	modified := map[string]time.Time{}
	err = scanRecords(ctx, cl.broker, deviceEnrollmentType, text, func(r *databrokerpb.Record) bool {
		var e devicepb.Enrollment
		if decode(r, &e) == nil {
			enrollments[r.GetId()] = &e
			modified[r.GetId()] = r.GetModifiedAt().AsTime()
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	var out []*Device
	joined := map[string]bool{}
	err = scanRecords(ctx, cl.broker, deviceCredentialType, text, func(r *databrokerpb.Record) bool {
		var cred devicepb.Credential
		if decode(r, &cred) != nil {
			return true
		}
		d := &Device{Credential: &cred, ClusterID: cl.id, CredentialModifiedAt: r.GetModifiedAt().AsTime()}
		if e := enrollments[cred.GetEnrollmentId()]; e != nil {
			joined[cred.GetEnrollmentId()] = true
			d.Enrollment, d.EnrollmentModifiedAt = e, modified[cred.GetEnrollmentId()]
		}
		if f.selects(d) {
			out = append(out, d)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	for id, e := range enrollments {
		d := &Device{Enrollment: e, ClusterID: cl.id, EnrollmentModifiedAt: modified[id]}
		if !joined[id] && e.GetEnrolledAt() == nil && f.selects(d) {
			out = append(out, d)
		}
	}
	if err := a.describeDevices(ctx, cl, out); err != nil {
		return nil, err
	}
	slices.SortFunc(out, compareDevices)
	return out, nil
}

// GetDevice reads one device of a cluster (SeeSessions in the cluster's
// namespace), as ListDevices describes it.
func (a *App) GetDevice(ctx context.Context, c *Caller, clusterID string, ref DeviceRef) (*Device, error) {
	cl, err := a.databroker(c, "cluster_id", clusterID, SeeSessions)
	if err != nil {
		return nil, err
	}
	d, err := a.device(ctx, cl, ref)
	if err != nil {
		return nil, err
	}
	dev := &Device{Credential: d.cred, Enrollment: d.enr, ClusterID: cl.id}
	if d.credential != nil {
		dev.CredentialModifiedAt = d.credential.GetModifiedAt().AsTime()
	}
	if d.enrollment != nil {
		dev.EnrollmentModifiedAt = d.enrollment.GetModifiedAt().AsTime()
	}
	if err := a.describeDevices(ctx, cl, []*Device{dev}); err != nil {
		return nil, err
	}
	return dev, nil
}

// describeDevices fills in the type, user and approver of each device.
func (a *App) describeDevices(ctx context.Context, cl *inCluster, devices []*Device) error {
	types, err := a.deviceTypes(ctx, cl)
	if err != nil {
		return err
	}
	var ids []string
	for _, d := range devices {
		ids = append(ids, d.userID())
		if by := d.Enrollment.GetApprovedBy(); by != "" {
			ids = append(ids, by)
		}
	}
	people, err := a.people(ctx, cl, ids)
	if err != nil {
		return err
	}
	for _, d := range devices {
		d.Type = resolveDeviceType(types, d.typeID())
		d.User = people[d.userID()].user
		if by := d.Enrollment.GetApprovedBy(); by != "" {
			d.ApprovedBy = people[by].user
		}
	}
	return nil
}

// userID and typeID are the credential's, or the enrollment's where there
// is no credential.
func (d *Device) userID() string {
	return cmp.Or(d.Credential.GetUserId(), d.Enrollment.GetUserId())
}

func (d *Device) typeID() string {
	return cmp.Or(d.Credential.GetTypeId(), d.Enrollment.GetTypeId())
}

// compareDevices orders devices by user, then newest enrollment first,
// then by id.
func compareDevices(a, b *Device) int {
	if c := cmp.Compare(a.User.Label(), b.User.Label()); c != 0 {
		return c
	}
	if c := b.Enrollment.GetEnrolledAt().AsTime().Compare(a.Enrollment.GetEnrolledAt().AsTime()); c != 0 {
		return c
	}
	ra, rb := a.ID(), b.ID()
	return cmp.Compare(ra.CredentialID+ra.EnrollmentID, rb.CredentialID+rb.EnrollmentID)
}
