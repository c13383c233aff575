package api

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/emptypb"

	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
)

// devices implements DeviceService over the devices of the clusters'
// databrokers. The calls without a cluster_id act on the cluster the
// Cluster-Id header names, else on the default cluster.
type devices struct{ *Server }

// headerCluster is the caller and the cluster the Cluster-Id header of a
// call names (the default cluster when it names none).
func (s *devices) headerCluster(ctx context.Context, h http.Header) (*manage.Caller, string, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, "", err
	}
	cluster, err := c.ClusterID(clusterHeader, h.Get(clusterHeader))
	if err != nil {
		return nil, "", s.fail(ctx, err, at{})
	}
	return c, cluster, nil
}

func (s *devices) ListDevices(ctx context.Context, req *connect.Request[pb.ListDevicesRequest]) (*connect.Response[pb.ListDevicesResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	list, err := s.app.ListDevices(ctx, c, m.GetClusterId(), manage.DeviceFilter{TypeID: m.TypeId, UserID: m.UserId, ApprovedBy: m.ApprovedBy})
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListDevicesResponse{}
	for _, d := range list {
		out.Devices = append(out.Devices, convert.DeviceFromRecords(d))
	}
	return connect.NewResponse(out), nil
}

// deviceRef is the device a request names by one of its ids.
func deviceRef(credentialID, enrollmentID string) manage.DeviceRef {
	return manage.DeviceRef{CredentialID: credentialID, EnrollmentID: enrollmentID}
}

// change runs a change of the use cases in the cluster the Cluster-Id
// header of a call names.
func (s *devices) change(ctx context.Context, h http.Header, use func(*manage.Caller, string) error) (*connect.Response[emptypb.Empty], error) {
	c, cluster, err := s.headerCluster(ctx, h)
	if err != nil {
		return nil, err
	}
	if err := use(c, cluster); err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	return connect.NewResponse(&emptypb.Empty{}), nil
}

func (s *devices) ApproveDevice(ctx context.Context, req *connect.Request[pb.ApproveDeviceRequest]) (*connect.Response[emptypb.Empty], error) {
	return s.change(ctx, req.Header(), func(c *manage.Caller, cluster string) error {
		return s.app.ApproveDevice(ctx, c, cluster, deviceRef(req.Msg.GetCredentialId(), req.Msg.GetEnrollmentId()))
	})
}

func (s *devices) DeleteDevice(ctx context.Context, req *connect.Request[pb.DeleteDeviceRequest]) (*connect.Response[emptypb.Empty], error) {
	return s.change(ctx, req.Header(), func(c *manage.Caller, cluster string) error {
		return s.app.DeleteDevice(ctx, c, cluster, deviceRef(req.Msg.GetCredentialId(), req.Msg.GetEnrollmentId()))
	})
}

func (s *devices) ListDeviceTypes(ctx context.Context, req *connect.Request[pb.ListDeviceTypesRequest]) (*connect.Response[pb.ListDeviceTypesResponse], error) {
	c, cluster, err := s.headerCluster(ctx, req.Header())
	if err != nil {
		return nil, err
	}
	types, err := s.app.ListDeviceTypes(ctx, c, cluster)
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	out := &pb.ListDeviceTypesResponse{}
	for _, t := range types {
		out.Types = append(out.Types, convert.DeviceTypeFromRecord(t))
	}
	return connect.NewResponse(out), nil
}

func (s *devices) SetDeviceType(ctx context.Context, req *connect.Request[pb.SetDeviceTypeRequest]) (*connect.Response[pb.SetDeviceTypeResponse], error) {
	if req.Msg.GetType() == nil {
		return nil, invalid("type", "is required")
	}
	in, err := convert.DeviceTypeToRecord(req.Msg.GetType())
	if err != nil {
		return nil, s.fail(ctx, err, at{})
	}
	c, cluster, err := s.headerCluster(ctx, req.Header())
	if err != nil {
		return nil, err
	}
	t, err := s.app.SetDeviceType(ctx, c, cluster, in)
	if err != nil {
		return nil, s.fail(ctx, err, at{root: "type"})
	}
	return connect.NewResponse(&pb.SetDeviceTypeResponse{Type: convert.DeviceTypeFromRecord(t)}), nil
}

func (s *devices) DeleteDeviceType(ctx context.Context, req *connect.Request[pb.DeleteDeviceTypeRequest]) (*connect.Response[emptypb.Empty], error) {
	return s.change(ctx, req.Header(), func(c *manage.Caller, cluster string) error {
		return s.app.DeleteDeviceType(ctx, c, cluster, req.Msg.GetTypeId())
	})
}

// enrollmentFields names the fields of an enrollment to create as the
// request does (a cluster named by the Cluster-Id header is checked before).
var enrollmentFields = at{renames: map[string]string{
	"user_id": "enrollment.user_id", "type_id": "enrollment.device_type_id", "cluster_id": "enrollment.cluster_id",
}}

func (s *devices) CreateDeviceEnrollment(ctx context.Context, req *connect.Request[pb.CreateDeviceEnrollmentRequest]) (*connect.Response[pb.CreateDeviceEnrollmentResponse], error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	e := req.Msg.GetEnrollment()
	if e.GetId() != "" {
		return nil, invalid("enrollment.id", "is assigned by the console: leave it empty")
	}
	// The enrollment's cluster_id, else the Cluster-Id header, names the
	// cluster.
	cluster := e.GetClusterId()
	if cluster == "" {
		if _, cluster, err = s.headerCluster(ctx, req.Header()); err != nil {
			return nil, err
		}
	}
	out, err := s.app.CreateDeviceEnrollment(ctx, c, cluster, manage.EnrollmentInput{
		UserID: e.GetUserId(), TypeID: e.GetDeviceTypeId(), RouteURL: req.Msg.GetRouteUrl(), RedirectURL: req.Msg.GetRedirectUrl(),
	})
	if err != nil {
		return nil, s.fail(ctx, err, enrollmentFields)
	}
	enr := convert.EnrollmentFromRecord(out.Enrollment, out.ClusterID, out.CreatedAt)
	enr.CreatedAt = convert.Timestamp(out.CreatedAt)
	return connect.NewResponse(&pb.CreateDeviceEnrollmentResponse{Enrollment: enr, EnrollmentUrl: out.URL}), nil
}
