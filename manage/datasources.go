package manage

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/pomerium-console/pomerium-console/reconcile/datasource"
	"github.com/pomerium-console/pomerium-console/store"
)

// DataSource is an external data source as a caller who may manage it sees
// it: with its headers, its cluster and what its fetcher last found.
type DataSource struct {
	*store.DataSource
	// ClusterID is the cluster whose databroker holds its records.
	ClusterID string
	// Status is what the fetcher last found; nil before it fetched.
	Status *store.DataSourceStatus
}

// DataSourceInput is a data source to add (empty id) or change.
type DataSourceInput struct {
	// DataSource holds the fields to write. Its headers replace the
	// stored ones: nil is none.
	DataSource *store.DataSource
	// ClusterID is the cluster of a new data source (empty: the default
	// cluster). A data source stays in the cluster it was added to: on
	// change it may only name that cluster, or none.
	ClusterID string
}

// DataSourcePreview is what a test fetch found.
type DataSourcePreview struct {
	// Records counts the rows; Fields names the fields seen in them.
	Records int
	Fields  []string
	// Rows are the first rows, at most PreviewRows of them.
	Rows []datasource.Row
}

// PreviewRows is how many rows a test fetch shows.
const PreviewRows = 10

// SetDataSource adds a data source (empty id) or changes one
// (ManageDataSources in its cluster's namespace).
func (a *App) SetDataSource(ctx context.Context, c *Caller, in DataSourceInput) (*DataSource, error) {
	if in.DataSource == nil {
		return nil, invalid("", "the data source is required")
	}
	d := store.Clone(in.DataSource)
	if d.Headers == nil {
		d.Headers = map[string]string{}
	}
	op := &store.PutOp{Object: d}
	if d.ID == "" {
		cluster, err := c.ClusterID("cluster_id", in.ClusterID)
		if err != nil {
			return nil, err
		}
		if err := c.require(ManageDataSources, cluster, "cluster_id"); err != nil {
			return nil, err
		}
		d.ID, d.NamespaceID, op.CreateOnly = uuid.NewString(), cluster, true
	} else {
		old, err := getFor[*store.DataSource](ctx, a, c, ManageDataSources, "id", d.ID)
		if err != nil {
			return nil, err
		}
		if in.ClusterID != "" && in.ClusterID != old.NamespaceID {
			return nil, invalid("cluster_id", "is %s; a data source stays in the cluster it was added to (%s): delete it and add it to the other cluster", in.ClusterID, old.NamespaceID)
		}
		d.NamespaceID, op.ExpectedVersion = old.NamespaceID, old.Version
	}
	if err := a.keyPairInReach(ctx, c, d); err != nil {
		return nil, err
	}
	written, err := a.apply(ctx, c, d, op)
	if err != nil {
		return nil, err
	}
	return a.GetDataSource(ctx, c, written[0].GetObjectMeta().ID)
}

// keyPairInReach refuses a client key pair the caller may not see, or
// one the data source's cluster may not use.
func (a *App) keyPairInReach(ctx context.Context, c *Caller, d *store.DataSource) error {
	if d.ClientTLSKeyID == "" {
		return nil
	}
	kp, err := get[*store.KeyPair](ctx, a, c, "client_tls_key_id", d.ClientTLSKeyID)
	if err != nil {
		return err
	}
	return c.reachable("client_tls_key_id", "key pair", kp.ID, kp.NamespaceID, d.NamespaceID)
}

// GetDataSource reads a data source with its headers (ManageDataSources).
func (a *App) GetDataSource(ctx context.Context, c *Caller, id string) (*DataSource, error) {
	if _, err := getFor[*store.DataSource](ctx, a, c, ManageDataSources, "id", id); err != nil {
		return nil, err
	}
	statuses, err := a.dataSourceStatuses(ctx)
	if err != nil {
		return nil, err
	}
	return a.dataSourceView(ctx, id, statuses)
}

// ListDataSources reads the data sources of a cluster (empty: the
// default cluster), by record type (ManageDataSources).
func (a *App) ListDataSources(ctx context.Context, c *Caller, clusterID string) ([]*DataSource, error) {
	list, statuses, err := a.clusterDataSourcesWithStatus(ctx, c, clusterID)
	if err != nil {
		return nil, err
	}
	out := make([]*DataSource, 0, len(list))
	for _, d := range list {
		v, err := a.dataSourceView(ctx, d.ID, statuses)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the list
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// clusterDataSources reads the data sources of a cluster the caller may
// manage them in, without their headers.
func (a *App) clusterDataSources(ctx context.Context, c *Caller, clusterID string) ([]*store.DataSource, error) {
	cluster, err := c.ClusterID("cluster_id", clusterID)
	if err != nil {
		return nil, err
	}
	if err := c.require(ManageDataSources, cluster, "cluster_id"); err != nil {
		return nil, err
	}
	res, err := a.store.List(ctx, store.KindDataSource, store.ListQuery{NamespaceID: cluster})
	if err != nil {
		return nil, fmt.Errorf("list the data sources of cluster %s: %w", cluster, err)
	}
	list := objectsOf[*store.DataSource](res.Objects)
	slices.SortFunc(list, func(x, y *store.DataSource) int { return strings.Compare(x.RecordType, y.RecordType) })
	return list, nil
}

// DeleteDataSource deletes a data source (ManageDataSources); its fetcher
// then deletes the records it wrote.
func (a *App) DeleteDataSource(ctx context.Context, c *Caller, id string) error {
	d, err := getFor[*store.DataSource](ctx, a, c, ManageDataSources, "id", id)
	if err != nil {
		return err
	}
	_, err = a.apply(ctx, c, d, &store.DeleteOp{Kind: store.KindDataSource, ID: d.ID, ExpectedVersion: d.Version})
	return err
}

// DataSourceRecordTypes lists the record types the data sources of a
// cluster write, sorted (ManageDataSources).
func (a *App) DataSourceRecordTypes(ctx context.Context, c *Caller, clusterID string) ([]string, error) {
	list, err := a.clusterDataSources(ctx, c, clusterID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list))
	for _, d := range list {
		out = append(out, d.RecordType)
	}
	return out, nil
}

// DataSourceRecordFields lists the fields seen in the rows of the last
// good fetch of the data source of a cluster that writes recordType,
// sorted; none before it fetched, or when no data source writes that type
// (ManageDataSources).
func (a *App) DataSourceRecordFields(ctx context.Context, c *Caller, clusterID, recordType string) ([]string, error) {
	if recordType == "" {
		return nil, invalid("record_type", "is required")
	}
	list, statuses, err := a.clusterDataSourcesWithStatus(ctx, c, clusterID)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		if st, ok := statuses[d.ID]; ok && d.RecordType == recordType && st.RecordType == recordType {
			return slices.Clone(st.Fields), nil
		}
	}
	return []string{}, nil
}

// TestDataSource fetches a data source once, as its fetcher would, and
// returns what it found (ManageDataSources in its cluster): what an admin
// checks before saving one. A stored data source's headers stand in for
// nil ones.
func (a *App) TestDataSource(ctx context.Context, c *Caller, in DataSourceInput) (*DataSourcePreview, error) {
	if in.DataSource == nil {
		return nil, invalid("", "the data source is required")
	}
	d := store.Clone(in.DataSource)
	cluster := in.ClusterID
	if d.ID != "" {
		stored, err := getFor[*store.DataSource](ctx, a, c, ManageDataSources, "id", d.ID)
		if err != nil {
			return nil, err
		}
		cluster = stored.NamespaceID
		if d.Headers == nil {
			full, err := store.Get[*store.DataSource](ctx, a.store, d.ID, store.WithSecrets())
			if err != nil {
				return nil, fmt.Errorf("read the headers of data source %s: %w", d.ID, err)
			}
			d.Headers = full.Headers
		}
	}
	cluster, err := c.ClusterID("cluster_id", cluster)
	if err != nil {
		return nil, err
	}
	if err := c.require(ManageDataSources, cluster, "cluster_id"); err != nil {
		return nil, err
	}
	if a.fetcher == nil {
		return nil, Refuse(CodeFailedPrecondition, "", "this console cannot fetch data sources on request")
	}
	d.NamespaceID = cluster
	if err := store.Validate(d, a.now(), true); err != nil {
		return nil, fromStore(err, d)
	}
	if err := a.keyPairInReach(ctx, c, d); err != nil {
		return nil, err
	}
	cert, err := a.clientCertificate(ctx, d.ClientTLSKeyID)
	if err != nil {
		return nil, err
	}
	t, err := a.fetcher.Fetch(ctx, d, cert)
	if err != nil {
		return nil, Refuse(CodeUnavailable, "url", "%v", err)
	}
	return &DataSourcePreview{Records: len(t.Rows), Fields: t.Fields, Rows: t.Rows[:min(len(t.Rows), PreviewRows)]}, nil
}

// clientCertificate is the certificate of a key pair a data source
// presents, or nil for none.
func (a *App) clientCertificate(ctx context.Context, id string) (*tls.Certificate, error) {
	if id == "" {
		return nil, nil
	}
	kp, err := store.Get[*store.KeyPair](ctx, a.store, id, store.WithSecrets())
	if err != nil {
		return nil, fmt.Errorf("read key pair %s: %w", id, err)
	}
	cert, err := tls.X509KeyPair(kp.Certificate, kp.PrivateKey)
	if err != nil {
		return nil, invalid("client_tls_key_id", "key pair %s cannot be presented: %v", id, err)
	}
	return &cert, nil
}

// dataSourceView reads a data source with its headers and status.
func (a *App) dataSourceView(ctx context.Context, id string, statuses map[string]store.DataSourceStatus) (*DataSource, error) {
	d, err := store.Get[*store.DataSource](ctx, a.store, id, store.WithSecrets())
	if err != nil {
		return nil, fmt.Errorf("read data source %s: %w", id, err)
	}
	if d.Headers == nil {
		d.Headers = map[string]string{}
	}
	out := &DataSource{DataSource: d, ClusterID: d.NamespaceID}
	if st, ok := statuses[id]; ok && !st.Removed {
		out.Status = &st
	}
	return out, nil
}

// clusterDataSourcesWithStatus reads the data sources of a cluster as
// clusterDataSources does, and what the fetchers last found.
func (a *App) clusterDataSourcesWithStatus(ctx context.Context, c *Caller, clusterID string) ([]*store.DataSource, map[string]store.DataSourceStatus, error) {
	list, err := a.clusterDataSources(ctx, c, clusterID)
	if err != nil {
		return nil, nil, err
	}
	statuses, err := a.dataSourceStatuses(ctx)
	return list, statuses, err
}

// dataSourceStatuses reads what the fetchers last found, by data source.
func (a *App) dataSourceStatuses(ctx context.Context) (map[string]store.DataSourceStatus, error) {
	all, err := a.store.DataSourceStatuses(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the status of data sources: %w", err)
	}
	return all, nil
}
