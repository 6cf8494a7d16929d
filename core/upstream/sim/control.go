package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shopspring/decimal"
)

// The control API: JSON in, JSON out, 400 with {"error": …} for bad input.

// writeJSON answers status with v.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// decodeStrict reads exactly one JSON object with only known fields, so a
// typo in a test's request fails loudly instead of being ignored.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("bad JSON: trailing data after the object")
	}
	return nil
}

// smsRequest is the body of POST /sim/sms.
type smsRequest struct {
	ActivationID string `json:"activation_id"`
	Text         string `json:"text"`
	Code         string `json:"code"`
}

// handleSMS delivers an SMS: 200, 404 unknown activation, 409 not waiting.
func (s *Sim) handleSMS(w http.ResponseWriter, r *http.Request) {
	var req smsRequest
	if err := decodeStrict(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if req.ActivationID == "" {
		writeError(w, http.StatusBadRequest, errors.New("activation_id is required"))
		return
	}
	err := s.InjectSMS(req.ActivationID, req.Text, req.Code)
	switch {
	case errors.Is(err, ErrUnknownActivation):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, ErrNotWaiting):
		writeError(w, http.StatusConflict, err)
	case err != nil:
		writeError(w, http.StatusBadRequest, err)
	default:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

// stockRequest is the body of POST /sim/stock.
type stockRequest struct {
	Service string           `json:"service"`
	Country *int             `json:"country"`
	Count   *int             `json:"count"`
	Cost    *decimal.Decimal `json:"cost"`
}

// handleStock sets stock and, optionally, the price of a service in a country.
func (s *Sim) handleStock(w http.ResponseWriter, r *http.Request) {
	var req stockRequest
	if err := decodeStrict(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	switch {
	case req.Service == "" || req.Country == nil || req.Count == nil:
		writeError(w, http.StatusBadRequest, errors.New("service, country and count are required"))
		return
	case *req.Count < 0:
		writeError(w, http.StatusBadRequest, errors.New("count must not be negative"))
		return
	case req.Cost != nil && !req.Cost.IsPositive():
		writeError(w, http.StatusBadRequest, errors.New("cost must be positive"))
		return
	}
	s.SetStock(req.Service, *req.Country, *req.Count, req.Cost)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// faultsRequest is the body of POST /sim/faults; rate defaults to 1 and
// an explicit 0 switches the fault off (latency still applies).
type faultsRequest struct {
	Mode      string   `json:"mode"`
	Rate      *float64 `json:"rate"`
	LatencyMS int64    `json:"latency_ms"`
}

// handleFaults replaces the injected faults.
func (s *Sim) handleFaults(w http.ResponseWriter, r *http.Request) {
	var req faultsRequest
	if err := decodeStrict(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	f := Faults{Mode: req.Mode, Rate: 1, Latency: time.Duration(req.LatencyMS) * time.Millisecond}
	if req.Rate != nil {
		f.Rate = *req.Rate
		if f.Rate == 0 { // Faults.Rate 0 means "always"; over HTTP it means never
			f.Mode = FaultNone
		}
	}
	if req.LatencyMS < 0 || req.LatencyMS > int64(time.Hour/time.Millisecond) {
		writeError(w, http.StatusBadRequest, errors.New("latency_ms must be between 0 and 3600000"))
		return
	}
	if err := s.SetFaults(f); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleActivations lists every activation, oldest first.
func (s *Sim) handleActivations(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Activations())
}

// handleStats reports protocol request counts per action.
func (s *Sim) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]map[string]int64{"requests": s.RequestCounts()})
}
