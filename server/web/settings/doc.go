// Package settings is the settings screen of the web console: Pomerium's
// global settings, in sections that follow pomerium.dashboard.Settings.
// Viewers of the Global namespace read them without their secrets; admins
// of Global edit one section at a time. Reading and writing go through
// the settings service, which owns who may do what and validates; the
// screen only turns form fields into the service's message and back. It
// never puts a secret into a page: a secret input is always blank, and
// blank keeps the stored secret.
package settings
