package owner

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestOwnership(t *testing.T) {
	t.Parallel()
	mine := t.TempDir()
	if err := Write(mine); err != nil {
		t.Fatal(err)
	}
	if Abandoned(mine) {
		t.Error("a directory of this running test is abandoned")
	}
	// A process that has exited and been reaped.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	gone := t.TempDir()
	if err := os.WriteFile(filepath.Join(gone, File), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	if !Abandoned(gone) {
		t.Error("the directory of an exited process is not abandoned")
	}
	if Abandoned(t.TempDir()) {
		t.Error("a directory without an owner counts as abandoned")
	}
	if _, ok := ReadPID(filepath.Join(t.TempDir(), "missing")); ok {
		t.Error("a missing file gave a pid")
	}
}
