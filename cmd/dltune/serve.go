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
			if err := checkAddr("--addr", o.Addr, o.Token); err != nil {
				return err
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

// addServeFlags adds --serve and --token to a command that runs a study
// (run, resume, retry), stored in serve and token: serve its dashboard
// while it runs.
func addServeFlags(cmd *cobra.Command, serve, token *string) {
	cmd.Flags().StringVar(serve, "serve", "", "serve the dashboard on `ADDR` (HOST:PORT) while the study runs")
	cmd.Flags().StringVar(token, "token", "", "the token every dashboard request must carry (default $DLTUNE_TOKEN); required off loopback")
}

// checkServeFlag checks --serve, if given, taking the token from
// $DLTUNE_TOKEN when --token is not given.
func checkServeFlag(serve string, token *string) error {
	if serve == "" {
		return nil
	}
	if *token == "" {
		*token = os.Getenv("DLTUNE_TOKEN")
	}
	return checkAddr("--serve", serve, *token)
}

// checkAddr checks the address of flag: HOST:PORT, and a token unless
// HOST is loopback.
func checkAddr(flag, addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Errorf("%s %q: %w (want HOST:PORT, such as 127.0.0.1:8080)", flag, addr, err)}
	}
	if !loopback(host) && token == "" {
		return usageError{fmt.Errorf("%s %s is not a loopback address: anyone who reaches it could read the studies; set a token with --token or $DLTUNE_TOKEN", flag, addr)}
	}
	return nil
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
	d, err := startDashboard(ctx, o.globals, db, o.Addr, o.Token)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "serving the studies of %s at %s\n", db, d.URL())
	select {
	case err := <-d.done:
		d.Stop()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return d.Stop()
}

// A dashboardServer serves the dashboard until it is stopped.
type dashboardServer struct {
	srv    *http.Server
	addr   net.Addr
	cancel context.CancelFunc
	done   chan error
}

// startDashboard serves the dashboard of src on addr, with token, until
// ctx ends or Stop is called.
func startDashboard(ctx context.Context, g *globals, src dashboard.Source, addr, token string) (*dashboardServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	logger := log.New(g.stderr, "", log.LstdFlags)
	// Requests end with ctx or Stop, the event streams too: Shutdown
	// waits for them.
	ctx, cancel := context.WithCancel(ctx)
	d := &dashboardServer{
		srv: &http.Server{
			Handler:           dashboard.New(src, &dashboard.Options{Token: token, Log: logger}),
			ReadHeaderTimeout: readHeaderTimeout,
			IdleTimeout:       idleTimeout,
			ErrorLog:          logger,
			BaseContext:       func(net.Listener) context.Context { return ctx },
		},
		addr:   l.Addr(),
		cancel: cancel,
		done:   make(chan error, 1),
	}
	go func() { d.done <- d.srv.Serve(l) }()
	return d, nil
}

// URL is where the dashboard is served.
func (d *dashboardServer) URL() string { return "http://" + d.addr.String() + "/" }

// Stop ends the requests being served and closes the listener.
func (d *dashboardServer) Stop() error {
	d.cancel()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := d.srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
