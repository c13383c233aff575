// Package routes is the routes list screen of the web console: one
// namespace's routes at a time, filtered and paginated on the server with
// the filters in the URL, each with its sync status and origin; bulk
// delete, move and export of selected routes; export of a whole (filtered)
// namespace as an open-source Pomerium config file; and the import of such
// a file with a preview that writes nothing.
//
// Every read and change goes through the use cases (manage) as the
// viewer's Caller, which check roles, validate, hide secrets and log every
// change; the import is their Import, a dry run for the preview and a write
// of the plan the preview showed. The package must not read or write the
// store, nor call the importer, itself. The route editor (/routes/new,
// /routes/{id}) is another screen's; this one only links to it.
package routes
