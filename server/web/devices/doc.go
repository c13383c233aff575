// Package devices is the web console's screen of the devices Pomerium
// keeps in each cluster's databroker: list them by user, type and
// approval, approve and delete them, edit the cluster's device types and
// make the links with which a user enrolls a device.
//
// It changes devices only through the use cases (package manage), which
// decide who may, and it never shows a cluster's shared secret: only the
// links signed with it.
package devices
