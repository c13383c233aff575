package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/store"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

func newBackup() *cobra.Command {
	var out string
	var activity bool
	cmd := &cobra.Command{
		Use:   "backup --out FILE [--activity=false] [--config FILE]",
		Short: "Write a consistent snapshot of the store to a file",
		Long: "Write one consistent snapshot of the store (PostgreSQL or embedded) to FILE ('-' for standard output):\n" +
			"every object with its id, version and history of deletions, the console's own secrets and, unless\n" +
			"--activity=false, the activity log. Secrets stay sealed with database_encryption_key: keep that key,\n" +
			"which restore needs, apart from the backup. Route and settings secrets are in the file as the store\n" +
			"holds them, so the file is written readable by its owner only.",
		Args: cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			if out == "" {
				return errors.New("--out is required: the file to write, or - for standard output")
			}
			st, closeStore, err := openStore(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer closeStore()
			var sum *store.BackupSummary
			err = writeAtomically(out, cmd.OutOrStdout(), func(w io.Writer) error {
				sum, err = st.Backup(cmd.Context(), w, store.BackupOptions{Activity: activity})
				return err
			})
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			return printBackup(cmd.ErrOrStderr(), "backed up", out, sum)
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVar(&out, "out", "", "file to write the backup to (mode 0600), - for standard output")
	cmd.Flags().BoolVar(&activity, "activity", true, "include the activity log")
	return cmd
}

func newRestore() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore FILE [--config FILE]",
		Short: "Load a backup into an empty store",
		Long: "Load a backup ('-' for standard input) into the configured store, which must be empty: a new database\n" +
			"or data_dir, or one no console has written to. It must seal with the database_encryption_key of the\n" +
			"console that made the backup (for the embedded store: set it, or copy that console's\n" +
			"data_dir/database_encryption_key). Everything is written in one transaction, or nothing.",
		Args: cobra.ExactArgs(1),
		RunE: configured(func(cmd *cobra.Command, args []string, cfg *config.Config, log logr.Logger) error {
			in := cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close() //nolint:errcheck // read only
				in = f
			}
			sum, err := backend.Restore(cmd.Context(), storeOptions(cfg, log), in)
			if err != nil {
				return fmt.Errorf("restore %s: %w", args[0], err)
			}
			return printBackup(cmd.OutOrStdout(), "restored", args[0], sum)
		}),
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func printBackup(w io.Writer, verb, file string, sum *store.BackupSummary) error {
	activity := "without the activity log"
	if sum.Activity {
		activity = fmt.Sprintf("%d activity entries", sum.Rows["activity"])
	}
	_, err := fmt.Fprintf(w, "%s %s: store version %d of %s (schema %d, made %s), %d objects and tombstones, %s\n",
		verb, file, sum.StoreVersion, sum.Backend, sum.Schema, sum.Created.Format("2006-01-02 15:04:05Z07:00"), sum.Rows["objects"], activity)
	return err
}

// writeAtomically runs write on a file beside path that takes path's name
// only once write succeeded, so that a failed or interrupted run never
// leaves a partial file under the name; "-" writes to stdout instead. The
// file is readable by its owner only.
func writeAtomically(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) //nolint:errcheck // gone after the rename, or garbage
	if err := write(f); err != nil {
		_ = f.Close() // the write's error is the one to report
		return err
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
