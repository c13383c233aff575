package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/cmd/pomerium-console/internal/progress"
	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/manage"
	"github.com/pomerium-console/pomerium-console/manifest"
	"github.com/pomerium-console/pomerium-console/server/auth"
	"github.com/pomerium-console/pomerium-console/store"
)

func newExport() *cobra.Command {
	var namespace, format, out string
	var secrets bool
	cmd := &cobra.Command{
		Use:   "export [--namespace PATH] [--format yaml|json] [--secrets] [--out FILE] [--config FILE]",
		Short: "Write desired state as a declarative document that apply takes back",
		Long: "Write the desired state of a namespace and everything below it (default: all of it, with the settings)\n" +
			"as a document (format " + manifest.Format + ") that `apply -f` takes back: applying it unchanged changes\n" +
			"nothing. Objects managed by Kubernetes are left out. Secrets (of routes and settings, private keys of key\n" +
			"pairs) are written only with --secrets; otherwise they are listed under secrets_omitted, and apply keeps\n" +
			"the stored ones.",
		Args: cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			if format != "yaml" && format != "json" {
				return fmt.Errorf("--format %q: want yaml or json", format)
			}
			return withConsole(cmd.Context(), cfg, log, false, func(app *manage.App, c *manage.Caller) error {
				doc, err := app.Export(cmd.Context(), c, manage.ExportInput{Namespace: namespace, Secrets: secrets})
				if err != nil {
					return fmt.Errorf("export: %w", err)
				}
				data, err := manifest.Encode(doc, format)
				if err != nil {
					return fmt.Errorf("export: %w", err)
				}
				return writeAtomically(out, cmd.OutOrStdout(), func(w io.Writer) error {
					_, err := w.Write(data)
					return err
				})
			})
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVar(&namespace, "namespace", "", `the namespace to export, with everything below it: a path such as "Global/Production", or an id (default Global: everything)`)
	cmd.Flags().StringVar(&format, "format", "yaml", "yaml or json")
	cmd.Flags().BoolVar(&secrets, "secrets", false, "also write secrets and private keys, in clear")
	cmd.Flags().StringVar(&out, "out", "-", "file to write (mode 0600), - for standard output")
	registerChoices(cmd, "format", "yaml", "json")
	return cmd
}

// applyFlags are the flags of apply.
type applyFlags struct {
	file, tokensOut        string
	prune, dryRun, verbose bool
}

func newApply() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply -f FILE [--prune] [--dry-run] [--tokens-out FILE] [--verbose] [--config FILE]",
		Short: "Make desired state hold a declarative document, in one transaction",
		Long: "Compare a document (as export writes it) with the desired state and make every change it takes: creates,\n" +
			"updates and, with --prune, deletions of what the document's scope holds and the document leaves out\n" +
			"(never what Kubernetes manages). Every change is checked as the API would check it; if any object is\n" +
			"refused, each refusal is listed and nothing is written. Otherwise everything is written in one\n" +
			"transaction. --dry-run lists the changes, with a diff of each update, and writes nothing; --verbose lists\n" +
			"them as they are applied. Creating a service account, or extending its expiry, issues a token, shown\n" +
			"once: such changes need --tokens-out, the file (mode 0600) the tokens are written to.",
		Args: cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			if f.file == "" {
				return fmt.Errorf("-f is required: the document to apply, or - for standard input")
			}
			content, err := readInput(cmd, f.file)
			if err != nil {
				return err
			}
			return withConsole(cmd.Context(), cfg, log, true, func(app *manage.App, c *manage.Caller) error {
				return runApply(cmd, app, c, content, f)
			})
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVarP(&f.file, "filename", "f", "", "the document to apply, - for standard input")
	cmd.Flags().BoolVar(&f.prune, "prune", false, "delete what the document's scope holds and the document leaves out")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "list what would change, with a diff of each update, and write nothing")
	cmd.Flags().StringVar(&f.tokensOut, "tokens-out", "", "write the tokens of service accounts the apply creates or extends to this file (mode 0600)")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "list every change as it is applied")
	if err := cmd.MarkFlagFilename("filename", "yaml", "yml", "json"); err != nil {
		panic(err) // the flag is defined just above
	}
	return cmd
}

func runApply(cmd *cobra.Command, app *manage.App, c *manage.Caller, content []byte, f applyFlags) error {
	rep := progress.New(cmd.OutOrStdout(), cmd.ErrOrStderr(), progress.Options{Terminal: stderrIsTerminal(), Verbose: f.verbose || f.dryRun})
	stage := "applying"
	if f.dryRun {
		stage = "planning"
	}
	rep.Stage(stage+" "+f.file, "", -1)
	res, err := app.Apply(cmd.Context(), c, manage.ApplyInput{Content: content, Prune: f.prune, DryRun: f.dryRun, Tokens: f.tokensOut != ""})
	if res != nil {
		for _, ch := range res.Changes {
			if err := rep.Item("%s", describeChange(ch)); err != nil {
				return err
			}
		}
	}
	if res != nil && len(res.Refused) > 0 {
		if err := rep.Done("%s", summary(res.Plan, true)); err != nil {
			return err
		}
		for _, r := range res.Refused {
			fmt.Fprintf(cmd.ErrOrStderr(), "refused   %s\n", r.Error())
		}
		return fmt.Errorf("apply %s: %w", f.file, err)
	}
	if err != nil {
		return fmt.Errorf("apply %s: %w", f.file, err)
	}
	if len(res.Tokens) > 0 {
		if err := writeTokens(f.tokensOut, res.Tokens); err != nil {
			return fmt.Errorf("apply %s: the changes are written, but the tokens of the new service accounts are not: %w", f.file, err)
		}
	}
	return rep.Done("%s", summary(res.Plan, f.dryRun))
}

// describeChange is one change of a plan, with the diff of an update
// indented below it.
func describeChange(ch manifest.Change) string {
	line := fmt.Sprintf("%-9s %-21s %s", ch.Action, strings.ReplaceAll(string(ch.Kind), "_", " "), ch.Name)
	if ch.Diff == "" {
		return line
	}
	return line + "\n    " + strings.ReplaceAll(strings.TrimSuffix(ch.Diff, "\n"), "\n", "\n    ")
}

// summary is the one line apply ends with.
func summary(p *manifest.Plan, dryRun bool) string {
	counts := map[manifest.Action]int{}
	for _, ch := range p.Changes {
		counts[ch.Action]++
	}
	verb := "applied"
	if dryRun {
		verb = "would apply"
	}
	if len(p.Changes) == 0 {
		return fmt.Sprintf("no changes: %d objects as the document declares them", p.Unchanged)
	}
	return fmt.Sprintf("%s %d changes: %d created, %d updated, %d deleted; %d unchanged",
		verb, len(p.Changes), counts[manifest.ActionCreate], counts[manifest.ActionUpdate], counts[manifest.ActionDelete], p.Unchanged)
}

func writeTokens(path string, tokens map[string]string) error {
	names := make([]string, 0, len(tokens))
	for n := range tokens {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s\t%s\n", n, tokens[n])
	}
	return writeSecretFile(path, b.String())
}

func readInput(cmd *cobra.Command, file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(file)
}

// withConsole opens the store and runs fn with the use cases and the
// command's caller: an administrator recorded as "apply:USER" or
// "export:USER" with origin import. Tokens lets the use cases sign
// service account tokens.
func withConsole(ctx context.Context, cfg *config.Config, log logr.Logger, tokens bool, fn func(*manage.App, *manage.Caller) error) error {
	st, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	opts := manage.Options{Store: st, Logger: log}
	verb := "export"
	if tokens {
		a, err := auth.New(ctx, auth.Options{Store: st, Logger: log})
		if err != nil {
			return err
		}
		opts.Tokens, verb = a, "apply"
	}
	app := manage.New(opts)
	c, err := app.System(ctx, commandSubject(verb), store.OriginImport)
	if err != nil {
		return err
	}
	return fn(app, c)
}

// commandSubject names who ran a command in the activity log.
func commandSubject(verb string) string {
	if u, err := user.Current(); err == nil {
		return verb + ":" + u.Username
	}
	return verb
}

// registerChoices completes a flag with its fixed values.
func registerChoices(cmd *cobra.Command, flag string, choices ...string) {
	err := cmd.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return choices, cobra.ShellCompDirectiveNoFileComp
	})
	if err != nil {
		panic(err) // the flag is defined by the caller
	}
}
