package manage

import (
	"cmp"
	"context"
	"time"

	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/store"
)

// DeviceRef names a device: by its credential id, or by its enrollment id
// (the only name of an enrollment no device has used yet).
type DeviceRef struct {
	CredentialID, EnrollmentID string
}

// deviceRecords are the records of one device as read: the credential's
// and the enrollment's, either nil when absent.
type deviceRecords struct {
	credential, enrollment *databrokerpb.Record
	cred                   *devicepb.Credential
	enr                    *devicepb.Enrollment
}

// device reads the records of the device ref names: the record named,
// then the other one it names.
func (a *App) device(ctx context.Context, cl *inCluster, ref DeviceRef) (*deviceRecords, error) {
	byCredential := ref.CredentialID != ""
	switch {
	case byCredential && ref.EnrollmentID != "":
		return nil, invalid("enrollment_id", "name the device by its credential_id or by its enrollment_id, not both")
	case !byCredential && ref.EnrollmentID == "":
		return nil, invalid("credential_id", "name the device by its credential_id or by its enrollment_id")
	}
	id, field, what := ref.CredentialID, "credential_id", "device credential"
	if !byCredential {
		id, field, what = ref.EnrollmentID, "enrollment_id", "device enrollment"
	}
	d := &deviceRecords{}
	if err := d.read(ctx, cl, byCredential, id); err != nil {
		return nil, err
	}
	if d.credential == nil && d.enrollment == nil {
		return nil, Refuse(CodeNotFound, field, "%s %s not found", what, id)
	}
	other := d.enr.GetCredentialId()
	if byCredential {
		other = d.cred.GetEnrollmentId()
	}
	if other != "" {
		if err := d.read(ctx, cl, !byCredential, other); err != nil {
			return nil, err
		}
	}
	// Only the credential enrolled through this enrollment is this
	// device's.
	if d.cred != nil && d.enr != nil && d.cred.GetEnrollmentId() != d.enr.GetId() {
		d.credential, d.cred = nil, nil
	}
	return d, nil
}

// read reads the device's credential (or else its enrollment) of id; one
// that is absent stays nil.
func (d *deviceRecords) read(ctx context.Context, cl *inCluster, credential bool, id string) error {
	recordType, m := deviceEnrollmentType, proto.Message(&devicepb.Enrollment{})
	if credential {
		recordType, m = deviceCredentialType, &devicepb.Credential{}
	}
	r, err := readDeviceRecord(ctx, cl, recordType, id, m)
	if err != nil || r == nil {
		return err
	}
	if credential {
		d.credential, d.cred = r, m.(*devicepb.Credential)
	} else {
		d.enrollment, d.enr = r, m.(*devicepb.Enrollment)
	}
	return nil
}

// readDeviceRecord reads a record of a device into m; nil when it is
// absent.
func readDeviceRecord(ctx context.Context, cl *inCluster, recordType, id string, m proto.Message) (*databrokerpb.Record, error) {
	r, err := getRecord(ctx, cl.broker, recordType, id)
	if err != nil || r == nil {
		return nil, err
	}
	if err := decode(r, m); err != nil {
		return nil, Refuse(CodeFailedPrecondition, "", "%s %s does not decode: %v", recordType, id, err)
	}
	return r, nil
}

// managedDevice checks that c may manage the devices of a cluster and
// reads the device ref names there.
func (a *App) managedDevice(ctx context.Context, c *Caller, clusterID string, ref DeviceRef) (*inCluster, *deviceRecords, error) {
	cl, err := a.databroker(c, "cluster_id", clusterID, ManageDevices)
	if err != nil {
		return nil, nil, err
	}
	d, err := a.device(ctx, cl, ref)
	return cl, d, err
}

// ApproveDevice approves a device of a cluster (ManageDevices in the
// cluster's namespace): its enrollment's approved_by becomes the caller's
// user id (its subject for a caller without one, such as a recovery
// token), which is what PPL's `device: {approved: true}` asks for. An
// enrollment no device has used yet may be approved ahead. A device
// approved already stays approved by whoever approved it.
//
// The approval is a Patch of approved_by alone, not a Put of the record as
// read: Pomerium writes the enrollment when a device enrolls on it, and a
// Put racing that write would undo it (and let the token be used again).
func (a *App) ApproveDevice(ctx context.Context, c *Caller, clusterID string, ref DeviceRef) error {
	cl, d, err := a.managedDevice(ctx, c, clusterID, ref)
	if err != nil {
		return err
	}
	if d.enrollment == nil {
		return Refuse(CodeFailedPrecondition, "credential_id", "device credential %s has no enrollment record to approve; delete the device and let its user enroll it again", ref.CredentialID)
	}
	if d.enr.GetApprovedBy() != "" {
		return nil
	}
	approver := cmp.Or(c.UserID, c.Subject)
	data, err := anypb.New(&devicepb.Enrollment{ApprovedBy: approver})
	if err != nil {
		return err
	}
	res, err := cl.broker.Patch(ctx, &databrokerpb.PatchRequest{
		Records:   []*databrokerpb.Record{{Type: deviceEnrollmentType, Id: d.enrollment.GetId(), Data: data}},
		FieldMask: &fieldmaskpb.FieldMask{Paths: []string{"approved_by"}},
	})
	if err != nil {
		return unreachable("approve device enrollment "+d.enrollment.GetId(), err)
	}
	if len(res.GetRecords()) == 0 {
		return Refuse(CodeNotFound, "", "device enrollment %s was deleted meanwhile", d.enrollment.GetId())
	}
	d.enr.ApprovedBy = approver
	a.noteDevice(ctx, c, cl, store.ActionApprove, d)
	return nil
}

// DeleteDevice deletes a device of a cluster (ManageDevices in the
// cluster's namespace): its credential and its enrollment, as Pomerium
// deletes them when the user removes the device. The device's user is
// then sent to enroll a device again wherever a policy asks for one.
//
// The credential's id stays in the user's user.User record, where
// Pomerium's own removal takes it out: Pomerium skips an id whose
// credential is gone, while a Put of the user record could undo what
// Pomerium's identity manager or a registration writes to it meanwhile
// (the identity manager puts whole user records from its own copy).
func (a *App) DeleteDevice(ctx context.Context, c *Caller, clusterID string, ref DeviceRef) error {
	cl, d, err := a.managedDevice(ctx, c, clusterID, ref)
	if err != nil {
		return err
	}
	var records []*databrokerpb.Record
	for _, r := range []*databrokerpb.Record{d.credential, d.enrollment} {
		if r != nil {
			records = append(records, r)
		}
	}
	if err := deleteRecords(ctx, cl.broker, records, timestamppb.New(a.now())); err != nil {
		return err
	}
	a.noteDevice(ctx, c, cl, store.ActionDelete, d)
	return nil
}

// noteDevice records an action on a device in the activity log, named
// after its user and type.
func (a *App) noteDevice(ctx context.Context, c *Caller, cl *inCluster, action store.Action, d *deviceRecords) {
	dev := &Device{Credential: d.cred, Enrollment: d.enr}
	name := dev.userID()
	if people, err := a.people(ctx, cl, []string{dev.userID()}); err == nil {
		name = people[dev.userID()].user.Label()
	} else {
		a.log.Error(err, "read the user of a device for the activity log", "user", dev.userID())
	}
	ref := dev.ID()
	about := map[string]any{
		"credential_id": d.cred.GetId(), "enrollment_id": cmp.Or(d.enr.GetId(), d.cred.GetEnrollmentId()),
		"type_id": dev.typeID(), "user_id": dev.userID(), "approved_by": d.enr.GetApprovedBy(),
	}
	if at := d.enr.GetEnrolledAt(); at != nil {
		about["enrolled_at"] = at.AsTime().UTC().Format(time.RFC3339)
	}
	a.note(ctx, c, store.Note{
		Action: action, EntityType: store.EntityDevice, EntityID: cmp.Or(ref.CredentialID, ref.EnrollmentID),
		EntityName: name + " (" + dev.typeID() + ")", NamespaceID: cl.namespace,
	}, about)
}
