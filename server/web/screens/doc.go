// Package screens lists the screens of the web console, for the binary and
// the tests to mount the same set.
package screens
