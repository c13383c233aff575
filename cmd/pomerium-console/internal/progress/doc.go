// Package progress is what the console's long commands (import, apply)
// show while they work: a bar that redraws itself on a terminal, and in
// any case one summary line at the end; a line per object only when the
// user asks for them (--verbose). A log collector or a script reading the
// output then gets one line, not one per route.
//
// It writes and decides nothing else: the command says whether standard
// error is a terminal and what the summary says. It must not log, and must
// not be used for a command's results that scripts parse beyond the
// summary line.
package progress
