// Package datasources is the external data sources screen of the web
// console: each cluster's data sources with what their fetcher last found,
// and the forms that add, test, change and delete them. It changes data
// sources only through the use cases (package manage); only the admins of
// a cluster's namespace see its data sources, whose headers may hold
// credentials.
package datasources
