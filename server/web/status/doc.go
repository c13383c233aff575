// Package status is the status screen of the web console: the health each
// reconciler reports (writer lease holder, last successful pass, lag behind
// the store, last error) and the databroker's server version. It only
// reads.
package status
