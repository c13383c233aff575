package main

import (
	"github.com/go-logr/logr"
	"github.com/spf13/cobra"

	"github.com/pomerium-console/pomerium-console/config"
	"github.com/pomerium-console/pomerium-console/store/backend"
)

func newServe() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the console",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log, flush, err := newLogger(cfg.LogLevel)
			if err != nil {
				return err
			}
			defer flush()
			log.Info("starting", "version", version, "config", cfg)
			st, err := backend.Open(cmd.Context(), storeOptions(cfg, log))
			if err != nil {
				return err
			}
			defer func() {
				if err := st.Close(); err != nil {
					log.Error(err, "close store")
				}
			}()
			v, err := st.Version(cmd.Context())
			if err != nil {
				return err
			}
			log.Info("store ready", "version", v)
			<-cmd.Context().Done()
			log.Info("shutting down")
			return nil
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}

func storeOptions(cfg *config.Config, log logr.Logger) backend.Options {
	return backend.Options{
		DatabaseURL: cfg.DatabaseURL(), EncryptionKey: cfg.EncryptionKey(), DataDir: cfg.DataDir, Logger: log,
	}
}
