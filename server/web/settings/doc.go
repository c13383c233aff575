// Package settings is the settings screen of the web console: Pomerium's
// global settings of each cluster (chosen by the query parameter cluster,
// the default cluster when absent), in sections that follow the Enterprise
// Console's. Viewers of the cluster's namespace (Global for the default
// cluster) read them without their secrets; its admins edit one section at
// a time. Reading and writing go through
// the use cases (package manage), which own who may do what, validate and
// hide the secrets; the screen turns form fields into the stored spec
// (pomerium.config.Settings), whose field names its inputs carry, and
// back. It never puts a secret into a page: which fields are secrets is
// the store's one table; a secret input is always blank, and blank keeps
// the stored secret.
package settings
