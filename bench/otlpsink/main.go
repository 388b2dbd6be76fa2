// Command otlpsink is a stand-in OpenTelemetry collector for benchmarks:
// it answers every OTLP/HTTP export with 200 and an empty body, and drops
// it, so that a traced gateway pays for encoding and sending its spans and
// nothing else. Every 10 s it logs the exports and bytes received so far.
//
//	otlpsink -addr 127.0.0.1:18498 &
//	BASELINE=gateway GATEWAY_ENV="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:18498" bench/ab.sh
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4318", "address to listen on")
	flag.Parse()
	var exports, bytes atomic.Int64
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		exports.Add(1)
		bytes.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	go func() {
		for range time.Tick(10 * time.Second) {
			log.Printf("exports %d, bytes %d", exports.Load(), bytes.Load())
		}
	}()
	log.Fatal(http.ListenAndServe(*addr, nil))
}
