// Package status is the status screen of the web console: cluster by
// cluster, the health its reconciler reports (writer lease holder, last
// successful pass, lag behind the store, last error), and the default
// cluster's databroker's server version. It only reads.
package status
