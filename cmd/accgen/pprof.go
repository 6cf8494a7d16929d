package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// startPprof serves the runtime profiles on their own listener, never on the
// public one: a profile shows the program's internals. It returns a stop
// function.
func startPprof(addr string, logger *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := newHTTPServer(mux, logger)
	srv.WriteTimeout = 0 // a CPU profile streams for as long as it was asked to
	go func() { _ = srv.Serve(ln) }()
	logger.Info("serving profiles", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
