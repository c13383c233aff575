// Package activity is the activity log screen of the web console: who
// changed what and when, filtered on the server; one entry with its
// snapshot and its diff against the entity's previous version; a diff
// between any two versions of one entity; and exports of the filtered log
// as CSV or JSON. It only reads. Who may read which part of the log is the
// activity log service's rule: the screen asks the service and never
// decides it on its own.
package activity
