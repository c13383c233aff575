package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/pomerium-console/pomerium-console/config"
)

// TestLogFormat: log_format auto writes console lines to a terminal and
// JSON to anything else (journald, a container runtime, a file); console
// and json are what they say wherever they write, and only a terminal gets
// colour.
func TestLogFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		format   string
		terminal bool
		json     bool
		colour   bool
	}{
		{config.LogFormatAuto, true, false, true},
		{config.LogFormatAuto, false, true, false},
		{config.LogFormatConsole, false, false, false},
		{config.LogFormatConsole, true, false, true},
		{config.LogFormatJSON, true, true, false},
		{config.LogFormatJSON, false, true, false},
	} {
		var out bytes.Buffer
		log, flush, err := newLogger("info", tc.format, zapcore.AddSync(&out), tc.terminal)
		if err != nil {
			t.Fatalf("%s, terminal %v: %v", tc.format, tc.terminal, err)
		}
		log.Info("store opened", "backend", "embedded", "objects", 3)
		log.V(1).Info("not at info")
		flush()
		line := strings.TrimSuffix(out.String(), "\n")
		if strings.Contains(line, "\n") || line == "" {
			t.Fatalf("%s, terminal %v: want one line, got %q", tc.format, tc.terminal, out.String())
		}
		var fields map[string]any
		isJSON := json.Unmarshal([]byte(line), &fields) == nil
		if isJSON != tc.json {
			t.Errorf("%s, terminal %v: JSON %v, want %v: %q", tc.format, tc.terminal, isJSON, tc.json, line)
		}
		if isJSON {
			for _, k := range []string{"time", "level", "msg", "caller", "backend", "objects"} {
				if _, ok := fields[k]; !ok {
					t.Errorf("%s, terminal %v: no %q in %q", tc.format, tc.terminal, k, line)
				}
			}
		} else if !strings.Contains(line, "store opened") || !strings.Contains(line, `"backend": "embedded"`) {
			t.Errorf("%s, terminal %v: the console line lacks the message or a field: %q", tc.format, tc.terminal, line)
		}
		if colour := strings.Contains(line, "\x1b["); colour != tc.colour {
			t.Errorf("%s, terminal %v: colour %v, want %v: %q", tc.format, tc.terminal, colour, tc.colour, line)
		}
	}
}

func TestLogFormatRefusesUnknown(t *testing.T) {
	t.Parallel()
	if _, _, err := newLogger("info", "text", zapcore.AddSync(&bytes.Buffer{}), true); err == nil || !strings.Contains(err.Error(), "log_format") {
		t.Errorf("log_format text: %v, want a refusal naming log_format", err)
	}
	if _, _, err := newLogger("loud", config.LogFormatJSON, zapcore.AddSync(&bytes.Buffer{}), true); err == nil || !strings.Contains(err.Error(), "log_level") {
		t.Errorf("log_level loud: %v, want a refusal naming log_level", err)
	}
}
