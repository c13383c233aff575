package manage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	databrokerpb "github.com/pomerium/pomerium/pkg/grpc/databroker"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/pomerium-console/pomerium-console/api/devicepb"
	"github.com/pomerium-console/pomerium-console/manage/enrollment"
	"github.com/pomerium-console/pomerium-console/store"
)

// EnrollmentLifetime is how long an enrollment link stays valid: its
// token and its signature expire together. A week leaves time to mail the
// link; only the user it was made for can enroll a device with it, once.
const EnrollmentLifetime = 7 * 24 * time.Hour

// EnrollmentInput is an enrollment to create.
type EnrollmentInput struct {
	// UserID is the Pomerium user id (the IdP's subject) of the user who
	// may enroll a device with the link.
	UserID string
	// TypeID is the device type to enroll; empty is "any".
	TypeID string
	// RouteURL is a route of the cluster whose host serves the
	// registration page; empty: the cluster's authenticate_service_url.
	RouteURL string
	// RedirectURL is where the user goes once the device is enrolled;
	// empty: Pomerium's own "device enrolled" page.
	RedirectURL string
}

// Enrollment is an enrollment created for a user to enroll a device on,
// with the link that does it.
type Enrollment struct {
	*devicepb.Enrollment
	// URL is the link to Pomerium's registration page, signed with the
	// cluster's shared key.
	URL string
	// Expires is when the link stops working.
	Expires   time.Time
	CreatedAt time.Time
	ClusterID string
}

// CreateDeviceEnrollment creates an enrollment of a cluster for a user
// (ManageDevices in the cluster's namespace) and returns the link with
// which that user enrolls a device of the type on it. The enrollment has a
// new UUID, the type and the user, and no enrolled_at until a device uses
// it, as Pomerium requires of an enrollment named by a token.
func (a *App) CreateDeviceEnrollment(ctx context.Context, c *Caller, clusterID string, in EnrollmentInput) (*Enrollment, error) {
	cl, err := a.databroker(c, "cluster_id", clusterID, ManageDevices)
	if err != nil {
		return nil, err
	}
	in.UserID, in.TypeID = strings.TrimSpace(in.UserID), cmp.Or(strings.TrimSpace(in.TypeID), DefaultDeviceTypeID)
	if in.UserID == "" {
		return nil, invalid("user_id", "is required: the Pomerium user id of who will enroll the device")
	}
	types, err := a.deviceTypes(ctx, cl)
	if err != nil {
		return nil, err
	}
	if resolved := resolveDeviceType(types, in.TypeID); !resolved.Stored && !resolved.BuiltIn {
		return nil, invalid("type_id", "the cluster has no device type %s", in.TypeID)
	}
	host, err := a.registrationHost(ctx, cl, in.RouteURL)
	if err != nil {
		return nil, err
	}
	if in.RedirectURL != "" {
		if u, err := url.Parse(in.RedirectURL); err != nil || !u.IsAbs() || u.Host == "" {
			return nil, invalid("redirect_url", "must be an absolute URL")
		}
	}
	key, err := a.sharedKey(ctx, cl.id)
	if err != nil {
		return nil, err
	}
	id := uuid.New()
	e := &devicepb.Enrollment{Id: id.String(), TypeId: in.TypeID, UserId: in.UserID}
	data, err := anypb.New(e)
	if err != nil {
		return nil, err
	}
	if _, err := cl.broker.Put(ctx, &databrokerpb.PutRequest{Records: []*databrokerpb.Record{{Type: deviceEnrollmentType, Id: e.GetId(), Data: data}}}); err != nil {
		return nil, unreachable("write device enrollment", err)
	}
	now := a.now()
	expires := now.Add(EnrollmentLifetime)
	link := enrollment.Link{Host: host, TypeID: in.TypeID, Token: enrollment.Token(key, id, expires), RedirectURL: in.RedirectURL}
	out := &Enrollment{Enrollment: e, URL: link.URL(key, now, expires).String(), Expires: expires, CreatedAt: now, ClusterID: cl.id}
	a.noteDevice(ctx, c, cl, store.ActionSet, &deviceRecords{enr: e})
	return out, nil
}

// registrationHost is the scheme and host where Pomerium serves the
// registration page for a link: the route's (its path is not used), or
// the cluster's authenticate service's. Pomerium checks a link's signature
// as an https URL without the default port, so the link is one.
func (a *App) registrationHost(ctx context.Context, cl *inCluster, routeURL string) (*url.URL, error) {
	raw, from := strings.TrimSpace(routeURL), "is"
	if raw == "" {
		st, err := a.settings(ctx, cl.id, false)
		if err != nil {
			return nil, err
		}
		if raw = st.Spec.GetAuthenticateServiceUrl(); raw == "" {
			return nil, invalid("route_url", "is required: the cluster's settings name no authenticate_service_url to serve the registration page")
		}
		from = "is empty, and the settings' authenticate_service_url used instead is"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return nil, invalid("route_url", "%s not an absolute URL; give a route's, e.g. https://app.example.com", from)
	case u.Scheme != "https":
		return nil, invalid("route_url", "%s not an https URL: Pomerium serves the registration page, and checks its link, over https", from)
	}
	// Browsers leave the default port out, and Pomerium signs what they send.
	return &url.URL{Scheme: "https", Host: strings.ToLower(strings.TrimSuffix(u.Host, ":443"))}, nil
}

// sharedKey is the shared secret of a cluster, which signs its
// enrollment links.
func (a *App) sharedKey(ctx context.Context, clusterID string) ([]byte, error) {
	if clusterID == store.DefaultClusterID {
		if len(a.secret) == 0 {
			return nil, Refuse(CodeFailedPrecondition, "", "the console is not configured with the default cluster's shared_secret, which signs enrollment links")
		}
		return a.secret, nil
	}
	cl, err := store.Get[*store.Cluster](ctx, a.store, clusterID, store.WithSecrets())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, Refuse(CodeNotFound, "cluster_id", "cluster %s not found", clusterID)
	case err != nil:
		return nil, fmt.Errorf("read the shared secret of cluster %s: %w", clusterID, err)
	case len(cl.SharedSecret) == 0:
		return nil, Refuse(CodeFailedPrecondition, "", "cluster %s has no shared secret to sign enrollment links with", cl.Name)
	}
	return cl.SharedSecret, nil
}
