// Command inventory serves the example inventory service (package
// inventory), a Federation v2 upstream for the gateway's Goods.
//
// It listens on INVENTORY_ADDR (default ":4001") and serves GraphQL at
// /graphql (and at /). When INVENTORY_TOKEN is set, every request must
// carry "Authorization: Bearer <INVENTORY_TOKEN>". GET /healthz answers
// 200 while the service runs. SIGINT and SIGTERM shut it down gracefully.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(logger); err != nil {
		logger.Error("inventory stopped", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	addr := os.Getenv("INVENTORY_ADDR")
	if addr == "" {
		addr = ":4001"
	}
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		return healthcheck(addr)
	}
	token := os.Getenv("INVENTORY_TOKEN")

	gql := inventory.NewHandler(&inventory.Inventory{}, inventory.Options{Token: token})
	mux := http.NewServeMux()
	mux.Handle("/graphql", gql)
	mux.Handle("/{$}", gql)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("inventory listening", "addr", addr, "token_required", token != "")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// healthcheck asks the service listening on addr for /healthz, for the
// container's HEALTHCHECK (its image has no shell or curl).
func healthcheck(addr string) error {
	host := addr
	if len(host) > 0 && host[0] == ':' {
		host = "127.0.0.1" + host
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + host + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("healthz: " + resp.Status)
	}
	return nil
}
