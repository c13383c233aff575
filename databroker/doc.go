// Package databroker will hold the client of Pomerium's databroker service
// and the embedded in-memory databroker used for trials and tests.
//
// It is not built yet; the README lists what works today. It must not know
// about desired state: it moves records.
package databroker
