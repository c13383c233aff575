// Package clusters is the clusters screen of the web console: the Pomerium
// clusters the console writes to, each with its databroker and what its
// reconciler last reported, and the forms that add, test, change and
// delete them. It changes clusters only through the use cases (package
// manage) and never sends a cluster's shared secret back to a browser, not
// even to the one who typed it.
package clusters
