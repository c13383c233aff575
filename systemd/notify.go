package systemd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Notifier sends notifications to the service manager's socket.
type Notifier struct {
	addr *net.UnixAddr
}

// NotifierFromEnv returns a notifier for $NOTIFY_SOCKET, or nil when the
// variable is unset (not started by a service manager that listens).
func NotifierFromEnv() *Notifier {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	return NewNotifier(path)
}

// NewNotifier returns a notifier for the datagram socket at path; a leading
// '@' names an abstract socket (the net package maps it to the leading NUL
// byte the kernel expects).
func NewNotifier(path string) *Notifier {
	return &Notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

// Notify sends one notification: newline-separated VARIABLE=value
// assignments in a single datagram, as sd_notify(3) describes.
func (n *Notifier) Notify(state string) error {
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("notify %s: %w", n.addr.Name, err)
	}
	_, err = conn.Write([]byte(state))
	if cerr := conn.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("notify %s: %w", n.addr.Name, err)
	}
	return nil
}

// WatchdogInterval returns the watchdog timeout the service manager asked
// for ($WATCHDOG_USEC), and false when it asked for none or asked another
// process ($WATCHDOG_PID names a different pid).
func WatchdogInterval() (time.Duration, bool, error) {
	return watchdogInterval(os.Getenv, os.Getpid())
}

func watchdogInterval(getenv func(string) string, self int) (time.Duration, bool, error) {
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, false, nil
	}
	if pid := getenv("WATCHDOG_PID"); pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, false, fmt.Errorf("WATCHDOG_PID %q: %w", pid, err)
		}
		if p != self {
			return 0, false, nil
		}
	}
	n, err := strconv.ParseInt(usec, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("WATCHDOG_USEC %q: %w", usec, err)
	}
	if n <= 0 {
		return 0, false, errors.New("WATCHDOG_USEC must be positive")
	}
	return time.Duration(n) * time.Microsecond, true, nil
}
