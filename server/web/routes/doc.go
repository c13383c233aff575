// Package routes is the routes list screen of the web console: one
// namespace's routes at a time, filtered and paginated on the server with
// the filters in the URL, each with its sync status and origin; bulk
// delete, move and export of selected routes; export of a whole (filtered)
// namespace as an open-source Pomerium config file; and the import of such
// a file with a preview that writes nothing.
//
// Changes go through the API's route service, which checks roles, validates
// and logs them. The one exception is the import, which goes through the
// importer package as `pomerium-console import` does (the service's
// LoadRoutes only imports into Global and has no dry run): this package
// checks the viewer's roles for everything the importer would write before
// calling it. The route editor (/routes/new, /routes/{id}) is another
// screen's; this one only links to it.
package routes
