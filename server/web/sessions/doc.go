// Package sessions is the web console's screen of the sessions Pomerium
// keeps in each cluster's databroker: search them, sign them out, and
// (Global admins behind Pomerium) impersonate one.
package sessions
