package main

import (
	"fmt"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/cmd/pomerium-console/internal/progress"
	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/store"
)

func newActivity() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "activity",
		Short: "Check the activity log",
	}
	cmd.AddCommand(newActivityVerify())
	return cmd
}

func newActivityVerify() *cobra.Command {
	var anchors []string
	cmd := &cobra.Command{
		Use:   "verify [--anchor SEQ:HASH]... [--config FILE]",
		Short: "Recompute the activity log's hash chain and name the first entry altered, inserted or removed",
		Long: "Recompute the hash chain of the activity log, from its first entry to its head, in one snapshot of the store.\n" +
			"An intact chain prints one line (entries verified, the head as SEQ:HASH) and exits 0. A broken one prints\n" +
			"where it breaks, naming the first entry altered, removed, inserted or moved, and exits 1.\n" +
			"--anchor SEQ:HASH (repeatable) also checks that the chain still passes through a head recorded earlier, as\n" +
			"serve logs it ('activity log anchor'): a rewrite of the log up to that point, hashes included, shows.",
		Args: cobra.NoArgs,
		RunE: configured(func(cmd *cobra.Command, _ []string, cfg *config.Config, log logr.Logger) error {
			var points []store.ChainPoint
			for _, a := range anchors {
				p, err := store.ParseAnchor(a)
				if err != nil {
					return fmt.Errorf("--anchor: %w", err)
				}
				points = append(points, p)
			}
			st, closeStore, err := openStore(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer closeStore()
			rep := progress.New(cmd.OutOrStdout(), cmd.ErrOrStderr(), progress.Options{Terminal: isTerminal(cmd.ErrOrStderr())})
			v := store.NewChainVerifier(store.ChainPoint{}, points...)
			started := false
			v.OnProgress(func(_, total int64) {
				if !started {
					rep.Stage("verifying", "entries", total)
					started = true
				}
				rep.Add(1)
			})
			res, err := st.VerifyActivity(cmd.Context(), v)
			if err != nil {
				rep.Stop()
				return fmt.Errorf("verify the activity log: %w", err)
			}
			if res.Break != nil {
				if err := rep.Done("activity log broken at position %d (%s): %s; %d entries verified before it",
					res.Break.Seq, res.Break.Kind, res.Break.Detail, res.Verified.Seq); err != nil {
					return err
				}
				return res.Break
			}
			anchored := ""
			if len(points) > 0 {
				anchored = fmt.Sprintf(", through %d anchors", len(points))
			}
			return rep.Done("activity log intact: %d entries verified%s, head %s", res.Verified.Seq, anchored, res.Head)
		}),
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringArrayVar(&anchors, "anchor", nil, "a head recorded earlier (SEQ:HASH, as serve logs it) the chain must still pass through")
	return cmd
}
