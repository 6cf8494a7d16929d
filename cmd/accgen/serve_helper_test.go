package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"accgen/core"
)

// demoServer is `accgen serve --demo` running in-process for a test.
type demoServer struct {
	base   string // http://127.0.0.1:port
	key    string // the demo API key it printed
	stdout *bytes.Buffer
	cancel context.CancelFunc
	done   chan error
}

// startDemo runs serve --demo with getenv until the test ends (or stop).
func startDemo(t *testing.T, getenv func(string) string) *demoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &demoServer{stdout: &bytes.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	addrs := make(chan net.Addr, 1)
	go func() {
		s.done <- cmdServe(ctx, []string{"--demo"}, getenv, s.stdout, io.Discard, serveHooks{onListen: func(a net.Addr) { addrs <- a }})
	}()
	select {
	case a := <-addrs:
		s.base = "http://" + a.String()
	case err := <-s.done:
		cancel()
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	// The demo output is complete once onListen fired.
	for _, f := range strings.Fields(s.stdout.String()) {
		if core.WellFormedAPIKey(f) {
			s.key = f
		}
	}
	t.Cleanup(func() { _ = s.stop() })
	return s
}

// stop shuts the server down and returns what serve returned.
func (s *demoServer) stop() error {
	s.cancel()
	select {
	case err, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return err
	case <-time.After(30 * time.Second):
		return context.DeadlineExceeded
	}
}
