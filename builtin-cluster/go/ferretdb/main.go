// Command ferretdb runs FerretDB v1 (the MongoDB wire protocol on SQLite) through its embeddable
// package. FerretDB's own cmd/ferretdb panics when built outside its repository (it wants
// generated version files), so this small front end takes the few flags the test environment uses.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	handler := flag.String("handler", "sqlite", "backend handler: sqlite or postgresql")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI (a directory, ending in /)")
	postgresURL := flag.String("postgresql-url", "", "PostgreSQL URL for the postgresql handler")
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP listen address")
	unix := flag.String("listen-unix", "", "Unix socket path (empty: none)")
	telemetry := flag.String("telemetry", "disable", "telemetry: only 'disable' is supported (the embedded server never reports)")
	level := flag.String("log-level", "info", "log level: debug, info, warn, error")
	flag.Parse()

	if *telemetry != "disable" && *telemetry != "false" {
		fmt.Fprintln(os.Stderr, "ferretdb: only --telemetry=disable is supported")
		os.Exit(2)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	slog.SetDefault(logger)

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen, Unix: *unix},
		Logger:        logger,
		Handler:       *handler,
		SQLiteURL:     *sqliteURL,
		PostgreSQLURL: *postgresURL,
	})
	if err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("ferretdb listening", "addr", *listen, "handler", *handler, "sqlite", *sqliteURL)
	if err := f.Run(ctx); err != nil {
		logger.Error("run", "error", err)
		os.Exit(1)
	}
}
