// Package systemd tells the service manager how the console is doing, over
// the sd_notify protocol: READY=1 once the reconcile loop has done its first
// job, WATCHDOG=1 for as long as the loop keeps making progress, a STATUS=
// line saying what it does, and STOPPING=1 on the way out. The packaged unit
// (config/systemd) runs the console with Type=notify and WatchdogSec, so
// `systemctl start` returns when the console has reconciled, and a console
// whose loop hangs is restarted.
//
// The package only reports: it must not decide what the loop does, and it
// does nothing at all when the process was not started by a service manager
// that asked for notifications ($NOTIFY_SOCKET unset).
package systemd
