package consolebin

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// readyWithin bounds how long a serve process may take to answer /readyz.
const readyWithin = time.Minute

// Serve is a running `pomerium-console serve` process.
type Serve struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // what Wait returned, once done is closed
}

// Start runs binary's serve command with the configuration file config,
// its output appended to logPath, and returns once its metrics listener
// (metricsAddr) answers /readyz with 200. A process that exits first, or
// is not ready within a minute, is an error that ends with the log's tail
// (and the process killed). The process is killed if the caller dies, and
// runs in a process group of its own, so that a terminal's Ctrl-C reaches
// only the caller.
func Start(binary, config, logPath, metricsAddr string, opts ...Option) (*Serve, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() //nolint:errcheck // the child has its own descriptor
	s := &Serve{cmd: exec.Command(binary, "serve", "--config", config), logPath: logPath, done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	for _, opt := range opts {
		opt(s.cmd)
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start serve: %w", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(metricsAddr); err != nil {
		_ = s.Kill() // the error says why; the process must not outlive it
		return nil, fmt.Errorf("%w\nend of serve's log:\n%s", err, LogTail(logPath, 16<<10))
	}
	return s, nil
}

// Option changes how Start runs serve.
type Option func(*exec.Cmd)

// InCgroup runs serve as a member of the cgroup whose cgroup.procs file is
// procs: a shell writes its own pid there, then becomes serve, so serve
// starts inside the cgroup (cgroup v1 has no way to start a process in
// one).
func InCgroup(procs string) Option {
	return func(cmd *exec.Cmd) {
		// exec needs serve's path, not the name it was given as Args[0].
		cmd.Args = append([]string{"sh", "-c", `echo $$ > "$0" && exec "$@"`, procs, cmd.Path}, cmd.Args[1:]...)
		sh, err := exec.LookPath("sh")
		cmd.Path, cmd.Err = sh, errors.Join(cmd.Err, err)
	}
}

// waitReady polls /readyz until it answers 200, the process exits or
// readyWithin passes.
func (s *Serve) waitReady(metricsAddr string) error {
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyWithin)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		res, err := probe.Get("http://" + metricsAddr + "/readyz")
		if err == nil {
			_ = res.Body.Close() // the status says it all
			if res.StatusCode == http.StatusOK {
				return nil
			}
			last = res.Status
		} else {
			last = err.Error()
		}
		select {
		case <-s.done:
			return fmt.Errorf("serve exited during start-up: %v", s.err)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("serve not ready within %v (/readyz: %s)", readyWithin, last)
		}
	}
}

// Pid is the process id.
func (s *Serve) Pid() int { return s.cmd.Process.Pid }

// Done is closed once the process has exited.
func (s *Serve) Done() <-chan struct{} { return s.done }

// Err is what the process exited with (nil for status 0), once Done is
// closed.
func (s *Serve) Err() error {
	<-s.done
	return s.err
}

// Kill ends the process with SIGKILL, as a lost host or the OOM killer
// would (it releases nothing), and returns once it has exited.
func (s *Serve) Kill() error {
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill serve: %w", err)
	}
	<-s.done
	return nil
}

// Stop ends the process with SIGTERM and wants it to exit cleanly (status
// 0) within timeout; one that does not is killed, and that is an error.
// A process that had already exited is an error unless it exited cleanly.
func (s *Serve) Stop(timeout time.Duration) error {
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("serve had exited: %w", s.err)
		}
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal serve: %w", err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("serve stopped with %w", s.err)
		}
		return nil
	case <-timer.C:
		_ = s.cmd.Process.Kill() // reaped by the goroutine that waits for it
		<-s.done
		return fmt.Errorf("serve did not exit within %v of SIGTERM and was killed", timeout)
	}
}

// LogTail returns the last n bytes of the log at path, or why it cannot
// be read.
func LogTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
