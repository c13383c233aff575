package main

import (
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/cmd/pomerium-console/internal/progress"
	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

func newImport() *cobra.Command {
	var namespace, cluster string
	var dryRun, verbose bool
	cmd := &cobra.Command{
		Use:   "import [--config FILE] [--cluster NAME] [--namespace NAME] [--dry-run] [--verbose] SOURCE.yaml",
		Short: "Load the routes of an open-source Pomerium config.yaml into a namespace",
		Long: "Load the routes of an open-source Pomerium config.yaml into a namespace (by default the namespace\n" +
			"of the cluster named by --cluster, or Global for the default cluster).\n" +
			"Importing the same file again changes nothing; routes are matched by name.\n" +
			"It shows a progress bar when standard error is a terminal and prints one summary line;\n" +
			"--verbose also lists every object it creates or updates.",
		Args: cobra.ExactArgs(1),
		RunE: configured(func(cmd *cobra.Command, args []string, cfg *config.Config, log logr.Logger) error {
			in, err := importSource(args[0])
			if err != nil {
				return err
			}
			st, closeStore, err := openStore(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer closeStore()
			app := manage.New(manage.Options{Store: st, Logger: log})
			c, err := app.System(cmd.Context(), importSubject(), store.OriginImport)
			if err != nil {
				return err
			}
			out := progress.New(cmd.OutOrStdout(), cmd.ErrOrStderr(), progress.Options{Terminal: isTerminal(cmd.ErrOrStderr()), Verbose: verbose})
			routes := 0
			in.Namespace, in.Cluster, in.DryRun = namespace, cluster, dryRun
			in.Changes = func(ch importer.Change) error {
				if ch.Kind == store.KindRoute {
					routes++
				}
				if ch.Action == importer.ActionUnchanged {
					return nil
				}
				return out.Item("%-9s %-10s %s", ch.Action, ch.Kind, ch.Name)
			}
			in.Progress = showProgress(out)
			plan, err := app.Import(cmd.Context(), c, in)
			switch {
			case plan != nil && len(plan.Refused) > 0:
				return printRefused(cmd, out, args[0], plan.Result, err == nil)
			case err != nil:
				out.Stop()
				return fmt.Errorf("import %s: %w", args[0], err)
			}
			return printImport(out, plan.Result, routes)
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVar(&namespace, "namespace", "", `namespace to import into: a path such as "Global/Production", or an id (default: the cluster's namespace)`)
	cmd.Flags().StringVar(&cluster, "cluster", "", `cluster whose Pomerium the routes are for, by name or id (default: the default cluster); --namespace must belong to it`)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change and write nothing")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every object created or updated, one a line")
	return cmd
}

// importSource is the file to import: read again for each pass of the
// import when it is a regular file, so that a file of any size is imported
// in little memory; read once into memory otherwise (a pipe cannot be
// read twice).
func importSource(path string) (manage.ImportInput, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return manage.ImportInput{}, err
	}
	if !fi.Mode().IsRegular() {
		data, err := os.ReadFile(path)
		return manage.ImportInput{Content: data}, err
	}
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	return manage.ImportInput{Source: importer.Source{Open: open, Size: fi.Size()}}, nil
}

// showProgress draws the stages of an import on the bar.
func showProgress(out *progress.Reporter) func(manage.ImportProgress) {
	var stage string
	var done int64
	return func(p manage.ImportProgress) {
		if p.Stage != stage {
			unit := "routes"
			if p.Stage == manage.ImportReading {
				unit = progress.Bytes
			}
			stage, done = p.Stage, 0
			out.Stage(p.Stage, unit, p.Total)
		}
		out.Add(p.Done - done)
		done = p.Done
	}
}

// importSubject names who imported in the activity log.
func importSubject() string {
	if u, err := user.Current(); err == nil {
		return "import:" + u.Username
	}
	return "import"
}

// printImport writes the summary: one line, and one more when the file has
// settings the import leaves out.
func printImport(out *progress.Reporter, res *importer.Result, routes int) error {
	if len(res.IgnoredKeys) > 0 {
		if err := out.Done("ignored the top-level keys %s (Pomerium settings, not routes)", strings.Join(res.IgnoredKeys, ", ")); err != nil {
			return err
		}
	}
	verb := "imported"
	if res.DryRun {
		verb = "would import"
	}
	return out.Done("%s %d routes into namespace %s: %d created, %d updated, %d unchanged",
		verb, routes, res.NamespaceID, res.Created, res.Updated, res.Unchanged)
}

// printRefused lists every refused route, one a line, and returns the error
// the command ends with.
func printRefused(cmd *cobra.Command, out *progress.Reporter, file string, res *importer.Result, dryRun bool) error {
	msg := "1 route is refused"
	if n := len(res.Refused); n != 1 {
		msg = fmt.Sprintf("%d routes are refused", n)
	}
	if !dryRun {
		msg += ", so nothing was imported"
	}
	out.Stop()
	for _, r := range res.Refused {
		if _, err := fmt.Fprintf(cmd.ErrOrStderr(), "%-9s %s\n", "refused", r); err != nil {
			return err
		}
	}
	return fmt.Errorf("import %s: %s", file, msg)
}
