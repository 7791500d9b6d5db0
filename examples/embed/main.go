// Command embed shows the SDK embedded in another Go service: an
// ordinary net/http server ("the partner portal") that keeps its own
// routes and adds two backed by AutonomOS packages:
//
//	POST /match     the repair matcher places a posted source schema on the ontology
//	GET  /accounts  the DCL's unified accounts of the demo sources
//
// At start it syncs the demo sources (examples/data) through the mesh
// into an in-memory DuckDB warehouse, as examples/quickstart does, and
// keeps the DCL engine consuming the stream in the background. Without
// -data it reads a copy of the sources embedded in package examples/data.
//
//	go run ./examples/embed [-addr 127.0.0.1:8090] [-data DIR]
//	curl -s localhost:8090/accounts?min_records=3
//	curl -s -d '{"system":"erp","object":"kunden","fields":[{"name":"firma","type":"string"},{"name":"umsatz","type":"number"}]}' localhost:8090/match
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	demodata "github.com/autonomos/autonomos/examples/data"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

// run builds the service, serves it on -addr until ctx is done, then
// shuts down gracefully.
func run(ctx context.Context, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	fs.SetOutput(w)
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	data := fs.String("data", "", "directory of the demo sources (default: the embedded copy)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		tmp, err := os.MkdirTemp("", "embed")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := demodata.WriteTo(tmp); err != nil {
			return err
		}
		*data = tmp
	}
	svc, err := newService(ctx, *data, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer svc.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	fmt.Fprintf(w, "listening on http://%s (%d events materialized)\n", ln.Addr(), svc.engine.Stats().Written)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(w, "stopped")
	return nil
}
