// Command constserver is the benchmarks' baseline: the smallest Go net/http
// server there is, answering a constant. The poll-path figure is acc-gen's
// throughput as a fraction of this one's, on the same machine in the same run.
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	body := []byte("STATUS_WAIT_CODE")
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	})))
}
