package api

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/pomerium-console/pomerium-console/api/configpb"
	pb "github.com/pomerium-console/pomerium-console/api/dashboardpb"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/reconcile/compile"
	"github.com/pomerium-console/pomerium-console/server/api/convert"
	"github.com/pomerium-console/pomerium-console/store"
)

// The messages of pomerium.config.ConfigService are Pomerium's own records
// with their identity fields (id, namespace_id, name, timestamps) and
// computed ones (namespace_name, enforced and assigned policies) set. These
// functions convert them to and from what the use cases take and give.

// nonZero is v for an optional field: nil at its zero value.
func nonZero[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// configRouteOut is a route as ConfigService returns it. policy_ids are the
// policies attached by choice; the enforced policies that compilation adds
// are in enforced_policies only.
func configRouteOut(r *manage.Route) *configpb.Route {
	out := proto.Clone(r.Spec).(*configpb.Route)
	if out == nil {
		out = &configpb.Route{}
	}
	out.Id, out.NamespaceId, out.Name = new(r.ID), new(r.NamespaceID), new(r.Name)
	out.OriginatorId = new(string(r.Origin))
	out.CreatedAt, out.ModifiedAt = convert.Timestamp(r.CreatedAt), convert.Timestamp(r.ModifiedAt)
	if r.NamespaceName != "" {
		out.NamespaceName = new(r.NamespaceName)
	}
	out.AssignedPolicies = nil
	for i, id := range r.Spec.GetPolicyIds() {
		info := &configpb.EntityInfo{Id: new(id)}
		if i < len(r.PolicyNames) && r.PolicyNames[i] != "" {
			info.Name = new(r.PolicyNames[i])
		}
		out.AssignedPolicies = append(out.AssignedPolicies, info)
	}
	out.EnforcedPolicies = nil
	for _, p := range r.Enforced {
		out.EnforcedPolicies = append(out.EnforcedPolicies, &configpb.EntityInfo{Id: new(p.ID), Name: new(p.Name)})
	}
	return out
}

// configRouteIn is a route of a request for the use cases. Its namespace is
// the one the route names, else namespace (the Namespace-Id header's, or
// the stored route's). A route that names its policies only as
// assigned_policies gets those.
func configRouteIn(r *configpb.Route, namespace string) *store.Route {
	spec := proto.Clone(r).(*configpb.Route)
	out := &store.Route{ObjectMeta: store.ObjectMeta{
		ID: r.GetId(), NamespaceID: r.GetNamespaceId(), Name: r.GetName(),
	}, Spec: spec}
	if out.NamespaceID == "" {
		out.NamespaceID = namespace
	}
	if len(spec.PolicyIds) == 0 {
		for _, p := range spec.AssignedPolicies {
			if p.GetId() != "" {
				spec.PolicyIds = append(spec.PolicyIds, p.GetId())
			}
		}
	}
	spec.Id, spec.NamespaceId, spec.OriginatorId, spec.Name = nil, nil, nil, nil
	spec.CreatedAt, spec.ModifiedAt, spec.NamespaceName = nil, nil, nil
	spec.EnforcedPolicies, spec.AssignedPolicies = nil, nil
	return out
}

// configRouteOfStore is a stored route as the filters of ListRoutes see
// it: the route's own fields and identity.
func configRouteOfStore(o store.Object) protoreflect.Message {
	r := o.(*store.Route)
	return configRouteOut(&manage.Route{Route: r}).ProtoReflect()
}

// configPolicyOut is a policy as ConfigService returns it: its PPL in
// source_ppl, never Rego, which the console neither keeps nor generates.
// An optional field at its zero value is set when its writer set it
// (Explicit).
func configPolicyOut(p *manage.Policy) *configpb.Policy {
	out := &configpb.Policy{
		Id: new(p.ID), NamespaceId: new(p.NamespaceID), Name: new(p.Name),
		OriginatorId: new(string(p.Origin)),
		Description:  nonZero(p.Description), Enforced: nonZero(p.Enforced),
		SourcePpl: new(p.PPL), Explanation: nonZero(p.Explanation), Remediation: nonZero(p.Remediation),
		CreatedAt: convert.Timestamp(p.CreatedAt), ModifiedAt: convert.Timestamp(p.ModifiedAt),
	}
	convert.RestoreExplicit(out, p.Explicit)
	if p.NamespaceName != "" {
		out.NamespaceName = new(p.NamespaceName)
	}
	for id, name := range p.Routes {
		info := &configpb.EntityInfo{Id: new(id), Name: new(name)}
		if p.Enforced {
			out.EnforcedRoutes = append(out.EnforcedRoutes, info)
		} else {
			out.AssignedRoutes = append(out.AssignedRoutes, info)
		}
	}
	sortEntities(out.EnforcedRoutes)
	sortEntities(out.AssignedRoutes)
	return out
}

func sortEntities(list []*configpb.EntityInfo) {
	slices.SortFunc(list, func(a, b *configpb.EntityInfo) int { return strings.Compare(a.GetId(), b.GetId()) })
}

// configPolicyIn is a policy of a request for the use cases. The access
// fields that predate PPL become the PPL Pomerium generates for them, as on
// the dashboard API; Rego is refused there too.
func configPolicyIn(p *configpb.Policy, namespace string) (*store.Policy, error) {
	dash := &pb.Policy{
		Id: p.GetId(), NamespaceId: p.GetNamespaceId(), Name: p.GetName(),
		Description: p.GetDescription(), Enforced: p.GetEnforced(),
		Explanation: p.GetExplanation(), Remediation: p.GetRemediation(),
		Ppl: p.GetSourcePpl(), Rego: p.GetRego(),
		AllowedUsers: p.GetAllowedUsers(), AllowedDomains: p.GetAllowedDomains(),
		AllowedIdpClaims: p.GetAllowedIdpClaims(),
	}
	if dash.NamespaceId == "" {
		dash.NamespaceId = namespace
	}
	out, err := convert.PolicyToStore(dash)
	if err != nil {
		return nil, renamedFieldError(err, map[string]string{"policy.ppl": "policy.source_ppl"})
	}
	out.Explicit = convert.ExplicitZeroes(p, configPolicyOut(&manage.Policy{Policy: out}))
	return out, nil
}

// configPolicyOfStore is a stored policy as the filters of ListPolicies
// see it.
func configPolicyOfStore(o store.Object) protoreflect.Message {
	return configPolicyOut(&manage.Policy{Policy: o.(*store.Policy)}).ProtoReflect()
}

// configKeyPairOut is a key pair as ConfigService returns it; key is the
// private key for a caller who may read it (nil: leave it out).
func configKeyPairOut(kp *manage.KeyPair, key []byte) *configpb.KeyPair {
	out := &configpb.KeyPair{
		Id: new(kp.ID), NamespaceId: new(kp.NamespaceID), Name: new(kp.Name),
		OriginatorId: new(string(kp.Origin)),
		Certificate:  bytes.Clone(kp.Certificate),
		CreatedAt:    convert.Timestamp(kp.CreatedAt), ModifiedAt: convert.Timestamp(kp.ModifiedAt),
		Origin: configpb.KeyPairOrigin_KEY_PAIR_ORIGIN_USER,
		Status: configpb.KeyPairStatus_KEY_PAIR_STATUS_READY,
	}
	if key != nil {
		out.Key = bytes.Clone(key)
	}
	if !kp.HasPrivateKey {
		// The one optional field a key pair keeps at its zero value is its
		// key, sent as none; once a key is stored that no longer holds.
		convert.RestoreExplicit(out, kp.Explicit)
	}
	if certs, err := store.ParseCertificates(kp.Certificate); err == nil {
		for _, c := range certs {
			out.CertificateInfo = append(out.CertificateInfo, compile.CertificateInfo(c))
		}
	}
	return out
}

// keyPairExplicit is what the store keeps as explicit of a key pair sent
// as in and written as kp: its key, when sent as none.
func keyPairExplicit(in *configpb.KeyPair, kp *store.KeyPair) []string {
	kp = store.Clone(kp)
	kp.HasPrivateKey = len(kp.PrivateKey) > 0
	return convert.ExplicitZeroes(in, configKeyPairOut(&manage.KeyPair{KeyPair: kp}, kp.PrivateKey))
}

// configKeyPairOfStore is a stored key pair as the filters of ListKeyPairs
// see it.
func configKeyPairOfStore(o store.Object) protoreflect.Message {
	return configKeyPairOut(&manage.KeyPair{KeyPair: o.(*store.KeyPair)}, nil).ProtoReflect()
}

// configServiceAccountOut is a service account as ConfigService returns it.
func configServiceAccountOut(sa *manage.ServiceAccount) *configpb.ServiceAccount {
	out := &configpb.ServiceAccount{
		Id: new(sa.ID), NamespaceId: new(sa.NamespaceID), OriginatorId: new(string(sa.Origin)),
		UserId:    new(sa.User()),
		ExpiresAt: convert.Timestamp(sa.ExpiresAt), CreatedAt: convert.Timestamp(sa.CreatedAt), ModifiedAt: convert.Timestamp(sa.ModifiedAt),
		AccessedAt: convert.Timestamp(sa.LastUsed),
	}
	if sa.Description != "" {
		out.Description = new(sa.Description)
	}
	convert.RestoreExplicit(out, sa.Explicit)
	return out
}

// configServiceAccountOfStore is a stored account as the filters of
// ListServiceAccounts see it.
func configServiceAccountOfStore(o store.Object) protoreflect.Message {
	return configServiceAccountOut(&manage.ServiceAccount{ServiceAccount: o.(*store.ServiceAccount)}).ProtoReflect()
}

// configServiceAccountIn is a service account of a request for the use
// cases.
func configServiceAccountIn(sa *configpb.ServiceAccount, namespace string) *store.ServiceAccount {
	out := &store.ServiceAccount{
		ObjectMeta:  store.ObjectMeta{ID: sa.GetId(), NamespaceID: sa.GetNamespaceId()},
		Description: sa.GetDescription(),
		UserID:      sa.GetUserId(),
	}
	if out.NamespaceID == "" {
		out.NamespaceID = namespace
	}
	if sa.ExpiresAt != nil {
		out.ExpiresAt = sa.ExpiresAt.AsTime()
	}
	out.Explicit = convert.ExplicitZeroes(sa, configServiceAccountOut(&manage.ServiceAccount{ServiceAccount: out}))
	return out
}

// configSettingsOut is the settings as ConfigService returns them.
func configSettingsOut(st *manage.Settings) *configpb.Settings {
	out := proto.Clone(st.Spec).(*configpb.Settings)
	if out == nil {
		out = &configpb.Settings{}
	}
	out.Id, out.NamespaceId = new(st.ID), new(st.NamespaceID)
	if cluster := compile.SettingsCluster(st.ID); cluster != store.DefaultClusterID {
		out.ClusterId = new(cluster)
	}
	out.OriginatorId = new(string(st.Origin))
	out.CreatedAt, out.ModifiedAt = convert.Timestamp(st.CreatedAt), convert.Timestamp(st.ModifiedAt)
	convert.RestoreExplicit(out, st.Explicit)
	return out
}

// configSettingsIn is the spec of settings of a request: without the
// identity fields, which the store keeps apart.
func configSettingsIn(s *configpb.Settings) *configpb.Settings {
	spec := proto.Clone(s).(*configpb.Settings)
	spec.Id, spec.NamespaceId, spec.ClusterId, spec.OriginatorId, spec.Name = nil, nil, nil, nil, nil
	spec.CreatedAt, spec.ModifiedAt = nil, nil
	return spec
}

// settingsExplicit is what the store keeps as explicit of settings sent as
// in, whose spec is spec: the optional fields it sent as their zero value
// that the console keeps no value of (name, cluster_id).
func settingsExplicit(in, spec *configpb.Settings) []string {
	return convert.ExplicitZeroes(in, configSettingsOut(&manage.Settings{Settings: &store.Settings{Spec: spec}}))
}

// applyMask copies the fields of src that mask names into dst, a message
// of the same type: a field src does not set is cleared in dst. Paths are
// field names, dotted into message fields. A refusal names the path
// ("update_mask.paths[1]").
func applyMask(dst, src proto.Message, mask *fieldmaskpb.FieldMask) error {
	for i, path := range mask.GetPaths() {
		d, s := dst.ProtoReflect(), src.ProtoReflect()
		names := strings.Split(path, ".")
		for j, name := range names {
			fd := d.Descriptor().Fields().ByName(protoreflect.Name(name))
			if fd == nil {
				return invalid(indexed("update_mask.paths", i), "%q: %s is not a field of %s", path, name, d.Descriptor().FullName())
			}
			if j == len(names)-1 {
				if s.Has(fd) {
					d.Set(fd, s.Get(fd))
				} else {
					d.Clear(fd)
				}
				break
			}
			if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
				return invalid(indexed("update_mask.paths", i), "%q: %s is not a message, so nothing is below it", path, name)
			}
			// Unset in src, the message below reads as empty: every field
			// the path names there is cleared.
			d, s = d.Mutable(fd).Message(), s.Get(fd).Message()
		}
	}
	return nil
}

// renamedFieldError is err with the field of a conversion refusal renamed
// where ConfigService's message names it otherwise than the dashboard's.
func renamedFieldError(err error, renames map[string]string) error {
	var fe *convert.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	for from, to := range renames {
		if fe.Field == from || strings.HasPrefix(fe.Field, from+".") || strings.HasPrefix(fe.Field, from+"[") {
			return &convert.FieldError{Field: to + fe.Field[len(from):], Reason: fe.Reason}
		}
	}
	return err
}
