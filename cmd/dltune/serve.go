package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dltune/dltune/dashboard"
)

type serveOptions struct {
	*globals
	Addr  string
	Token string
}

// Timeouts of the dashboard's server. There is no write timeout: the
// event stream stays open as long as its page.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 5 * time.Second
)

func newServeCmd(g *globals, runF func(context.Context, *serveOptions) error) *cobra.Command {
	o := &serveOptions{globals: g}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a read-only web dashboard of the store's studies",
		Long: `Serve a web dashboard of the studies in the store: the list of studies,
each study's leaderboard and plots, and a page per trial with its
parameters, learning curve, gradient flow, diagnosis and history. A study's
page updates its leaderboard as trials finish. The dashboard never changes
a study, and fetches nothing from the internet.

It listens on loopback by default. Any other address needs a token, from
--token or $DLTUNE_TOKEN, which every request must carry: open the
dashboard once as http://ADDR/?token=TOKEN (a cookie then keeps it), or
send "Authorization: Bearer TOKEN".`,
		Example: `  dltune serve
  dltune serve --addr 127.0.0.1:9000
  DLTUNE_TOKEN=$(openssl rand -hex 16) dltune serve --addr 0.0.0.0:8080`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Token == "" {
				o.Token = os.Getenv("DLTUNE_TOKEN")
			}
			host, _, err := net.SplitHostPort(o.Addr)
			if err != nil {
				return usageError{fmt.Errorf("--addr %q: %w (want HOST:PORT, such as 127.0.0.1:8080)", o.Addr, err)}
			}
			if !loopback(host) && o.Token == "" {
				return usageError{fmt.Errorf("--addr %s is not a loopback address: anyone who reaches it could read the studies; set a token with --token or $DLTUNE_TOKEN", o.Addr)}
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runServe(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8080", "the address to listen on, HOST:PORT")
	cmd.Flags().StringVar(&o.Token, "token", "", "the token every request must carry (default $DLTUNE_TOKEN); required off loopback")
	return cmd
}

// loopback reports whether host names only the local machine. An empty
// host means every interface.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runServe(ctx context.Context, o *serveOptions) error {
	db, err := o.openReader(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	logger := log.New(o.stderr, "", log.LstdFlags)
	srv := &http.Server{
		Handler:           dashboard.New(db, &dashboard.Options{Token: o.Token, Log: logger}),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          logger,
		// Requests end with the command, the event streams too.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	fmt.Fprintf(o.stdout, "serving the studies of %s at http://%s/\n", db, l.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
