// Package datasource keeps the records of external data sources in a
// cluster's databroker: it fetches each source's URL (JSON or CSV, gzip or
// not), turns every row into a record of the source's type whose id is the
// row's foreign key and whose data is the row as a google.protobuf.Struct
// (what Pomerium's authorize reads directory records as), and writes the
// difference between the latest good fetch and what the databroker holds.
//
// A data source owns its record type in its cluster: the records of that
// type are kept equal to its latest good fetch (new and changed ones put,
// vanished ones deleted), a failed fetch changes nothing, and removing the
// source (or changing its type) deletes the records of the type it wrote.
// Records of any other type are never read or written.
//
// Fetches go only where the Guard lets them: not to loopback, link-local
// (cloud metadata), private or otherwise non-public addresses unless the
// configuration allows their network. The check is made on every
// connection the HTTP client dials, so redirects and host names that
// resolve differently from one lookup to the next are covered.
//
// A Runner serves one cluster while its reconcile loop holds the cluster's
// writer lease (reconcile runs it inside the lead): one instance writes.
// It never writes desired state, only records, statuses and metrics.
package datasource
