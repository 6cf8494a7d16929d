package sim

import (
	"fmt"
	"net/http"
	"time"
)

// Fault modes for SetFaults and POST /sim/faults.
const (
	// FaultNone answers normally (Latency still applies).
	FaultNone = "none"
	// FaultTimeout holds the request without answering until the client
	// gives up (or Close), like a provider that hangs after receiving it.
	FaultTimeout = "timeout"
	// FaultHTTP500 answers HTTP 500 with an HTML error page.
	FaultHTTP500 = "http500"
	// FaultGarbage answers HTTP 200 with an HTML page instead of a token,
	// like a captive portal or a CDN challenge.
	FaultGarbage = "garbage"
	// FaultNoNumbers answers getNumber and getNumberV2 with NO_NUMBERS;
	// other actions are unaffected.
	FaultNoNumbers = "no_numbers"
	// FaultLostAnswer carries the request out (a getNumber sells the
	// number) and then withholds the answer until the client gives up, like
	// a reply lost on its way back: the client cannot tell what happened
	// and must find the number among the active activations.
	FaultLostAnswer = "lost_answer"
)

// Faults describes the misbehaviour injected into /stubs/handler_api.php.
// The control API is never affected.
type Faults struct {
	// Mode is one of the Fault* constants; empty means FaultNone.
	Mode string
	// Rate is the probability in [0, 1] that a request gets the fault.
	// Zero means 1: to switch faults off use FaultNone.
	Rate float64
	// Latency delays every protocol request, whatever the mode.
	Latency time.Duration
}

// SetFaults replaces the current faults.
func (s *Sim) SetFaults(f Faults) error {
	if f.Mode == "" {
		f.Mode = FaultNone
	}
	switch f.Mode {
	case FaultNone, FaultTimeout, FaultHTTP500, FaultGarbage, FaultNoNumbers, FaultLostAnswer:
	default:
		return fmt.Errorf("sim: unknown fault mode %q", f.Mode)
	}
	if f.Rate < 0 || f.Rate > 1 || f.Rate != f.Rate {
		return fmt.Errorf("sim: fault rate %v is not in [0, 1]", f.Rate)
	}
	if f.Latency < 0 {
		return fmt.Errorf("sim: negative latency %s", f.Latency)
	}
	if f.Rate == 0 {
		f.Rate = 1
	}
	s.faultMu.Lock()
	s.faults = f
	s.faultMu.Unlock()
	s.logger.Info("sim faults set", "mode", f.Mode, "rate", f.Rate, "latency", f.Latency)
	return nil
}

// drawFault returns the latency to add and the mode this request gets
// (FaultNone when the dice say no).
func (s *Sim) drawFault() (time.Duration, string) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faults
	if f.Mode == FaultNone || (f.Rate < 1 && s.faultRNG.Float64() >= f.Rate) {
		return f.Latency, FaultNone
	}
	return f.Latency, f.Mode
}

// applyFaults sleeps for the latency and acts out a drawn fault. It
// reports whether it already answered, and otherwise the mode the request
// still has to act out (FaultNoNumbers, FaultLostAnswer or FaultNone). No
// lock is held while it waits.
func (s *Sim) applyFaults(w http.ResponseWriter, r *http.Request) (answered bool, mode string) {
	latency, mode := s.drawFault()
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true, ""
		case <-s.done:
		}
	}
	switch mode {
	case FaultTimeout:
		s.hold(r)
		return true, ""
	case FaultHTTP500:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<html><head><title>500 Internal Server Error</title></head>" +
			"<body><h1>Internal Server Error</h1></body></html>"))
		return true, ""
	case FaultGarbage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>Just a moment...</title></head>" +
			"<body>Checking your browser before accessing the site.</body></html>"))
		return true, ""
	}
	return false, mode
}

// hold waits until the client gives up on r (or Close).
func (s *Sim) hold(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
}
