// Package activity is the activity log screen of the web console: who
// changed what and when, filtered on the server; one entry with its
// snapshot and its diff against the entity's previous version; a diff
// between any two versions of one entity; and exports of the filtered log
// as CSV or JSON. It only reads, through the use cases (package manage):
// who may read which part of the log, and what of an entry they may see,
// is their rule, which the screen never decides on its own.
package activity
