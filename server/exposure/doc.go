// Package exposure holds the tests that no surface of the console (the
// dashboard API, the web console, the activity log, exports, logs) shows a
// secret to a caller who may not read it. It has no code of its own.
package exposure
