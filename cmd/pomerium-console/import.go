package main

import (
	"fmt"
	"os"
	"os/user"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/importer"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/store"
)

func newImport() *cobra.Command {
	var namespace string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "import [--config FILE] [--namespace NAME] SOURCE.yaml",
		Short: "Load the routes of an open-source Pomerium config.yaml into a namespace",
		Long: "Load the routes of an open-source Pomerium config.yaml into a namespace (Global by default).\n" +
			"Importing the same file again changes nothing; routes are matched by name.",
		Args: cobra.ExactArgs(1),
		RunE: configured(func(cmd *cobra.Command, args []string, cfg *config.Config, log logr.Logger) error {
			data, err := os.ReadFile(args[0])
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
			plan, err := app.Import(cmd.Context(), c, manage.ImportInput{Namespace: namespace, Content: data, DryRun: dryRun})
			switch {
			case plan != nil && len(plan.Refused) > 0:
				return printRefused(cmd, args[0], plan.Result, err == nil)
			case err != nil:
				return fmt.Errorf("import %s: %w", args[0], err)
			}
			return printImport(cmd, plan.Result)
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVar(&namespace, "namespace", "", `namespace to import into: a path such as "Global/Production", or an id (default Global)`)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change and write nothing")
	return cmd
}

// importSubject names who imported in the activity log.
func importSubject() string {
	if u, err := user.Current(); err == nil {
		return "import:" + u.Username
	}
	return "import"
}

func printImport(cmd *cobra.Command, res *importer.Result) error {
	if err := printPlan(cmd, res); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	for _, k := range res.IgnoredKeys {
		if _, err := fmt.Fprintf(out, "ignored   top-level key %q (a Pomerium setting, not a route)\n", k); err != nil {
			return err
		}
	}
	verb := "imported"
	if res.DryRun {
		verb = "would import"
	}
	_, err := fmt.Fprintf(out, "%s %d routes into namespace %s: %d created, %d updated, %d unchanged\n",
		verb, len(res.Routes), res.NamespaceID, res.Created, res.Updated, res.Unchanged)
	return err
}

// printPlan lists what the import changes, one object a line.
func printPlan(cmd *cobra.Command, res *importer.Result) error {
	for _, c := range res.Plan {
		if c.Action == importer.ActionUnchanged {
			continue
		}
		if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%-9s %-10s %s\n", c.Action, c.Kind, c.Name); err != nil {
			return err
		}
	}
	return nil
}

// printRefused lists every refused route, one a line, after what a dry run
// would do with the others, and returns the error the command ends with.
func printRefused(cmd *cobra.Command, file string, res *importer.Result, dryRun bool) error {
	if dryRun {
		if err := printPlan(cmd, res); err != nil {
			return err
		}
	}
	for _, r := range res.Refused {
		if _, err := fmt.Fprintf(cmd.ErrOrStderr(), "%-9s %s\n", "refused", r); err != nil {
			return err
		}
	}
	msg := "1 route is refused"
	if n := len(res.Refused); n != 1 {
		msg = fmt.Sprintf("%d routes are refused", n)
	}
	if !dryRun {
		msg += ", so nothing was imported"
	}
	return fmt.Errorf("import %s: %s", file, msg)
}
