// Package consolepb holds the generated code of pomerium.console.v1, the
// console's additions to the Enterprise Console API: the sync status and
// version that pomerium.dashboard messages carry in field numbers from 1000
// up.
package consolepb
