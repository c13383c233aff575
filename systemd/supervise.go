package systemd

import (
	"context"
	"strings"
	"time"

	"github.com/go-logr/logr"
)

// Progress is what Run reads of the reconcile loop (reconcile.Liveness).
type Progress interface {
	// Ready is closed once the loop has done its first job.
	Ready() <-chan struct{}
	// BusySince returns when the step the loop is in (a pass, a lease
	// attempt, loading its view) began, and false while it waits for work.
	BusySince() (time.Time, bool)
	// Status says in one line what the loop does.
	Status() string
}

// Options configure Run.
type Options struct {
	Notifier *Notifier
	// Watchdog is the service manager's watchdog timeout (WatchdogSec);
	// zero means it asked for no watchdog.
	Watchdog time.Duration
	// StatusEvery is how often Run looks for a changed status line when
	// the watchdog does not make it look more often. Default 5 seconds.
	StatusEvery time.Duration
	Logger      logr.Logger
}

// FromEnv returns the options of a process the service manager started
// with $NOTIFY_SOCKET (and perhaps $WATCHDOG_USEC), and false when it was
// not started so.
func FromEnv(log logr.Logger) (Options, bool) {
	n := NotifierFromEnv()
	if n == nil {
		return Options{}, false
	}
	interval, ok, err := WatchdogInterval()
	if err != nil {
		// Not worth stopping the console for: without pings, a service
		// manager that did ask for them restarts it, which the log
		// explains.
		log.Error(err, "service manager watchdog settings unreadable; not feeding the watchdog")
	}
	if !ok {
		interval = 0
	}
	return Options{Notifier: n, Watchdog: interval, Logger: log}, true
}

// Run reports p to the service manager until ctx ends: READY=1 once p is
// ready, WATCHDOG=1 every half watchdog timeout while p makes progress,
// STATUS= whenever p's status changes, and STOPPING=1 when ctx ends.
//
// Progress means that the step the loop is in has not lasted a whole
// watchdog timeout. A loop that waits for work, or that keeps failing
// (Pomerium's databroker unreachable), makes progress: the console must
// go on serving its API and web console then, and a restart would not
// bring the databroker back. A loop stuck in a step stops the pings, and
// the service manager restarts the console; so does a process that hangs
// whole, since nothing pings then either.
//
// Notifications that cannot be sent are logged; Run never fails.
func Run(ctx context.Context, opts Options, p Progress) {
	log := opts.Logger
	every := opts.StatusEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	if opts.Watchdog > 0 {
		every = min(every, opts.Watchdog/2)
	}
	r := reporter{n: opts.Notifier, log: log}
	tick := time.NewTicker(every)
	defer tick.Stop()
	ready := p.Ready()
	stalled := false
	var status string
	for {
		// Readiness first, so that a loop ready by now is announced before
		// anything else.
		select {
		case <-ready:
			ready = nil
			status = p.Status()
			r.send("READY=1\nSTATUS=" + oneLine(status))
			log.Info("told the service manager that the console is ready", "status", status)
		default:
		}
		select {
		case <-ctx.Done():
			r.send("STOPPING=1")
			return
		case <-ready:
			continue
		case <-tick.C:
		}
		if s := p.Status(); s != status {
			status = s
			r.send("STATUS=" + oneLine(s))
		}
		if opts.Watchdog <= 0 {
			continue
		}
		since, busy := p.BusySince()
		if busy && time.Since(since) >= opts.Watchdog {
			if !stalled {
				log.Error(nil, "the reconcile loop is stuck; no longer feeding the service manager's watchdog",
					"busy_for", time.Since(since).Round(time.Second).String(), "status", status, "watchdog", opts.Watchdog.String())
			}
			stalled = true
			continue
		}
		stalled = false
		r.send("WATCHDOG=1")
	}
}

// oneLine keeps a status on one line: a newline would end the assignment
// (an error joined from several has them).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// reporter sends notifications and logs a failure once until a send
// succeeds again, so that a vanished socket does not flood the log.
type reporter struct {
	n      *Notifier
	log    logr.Logger
	failed bool
}

func (r *reporter) send(state string) {
	err := r.n.Notify(state)
	switch {
	case err != nil && !r.failed:
		r.log.Error(err, "notify the service manager")
		r.failed = true
	case err == nil:
		r.failed = false
	}
}
