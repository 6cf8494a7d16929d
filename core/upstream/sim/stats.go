package sim

import "maps"

// countedActions are counted under their own name; anything else is
// counted as "other", so a client cannot grow the map without bound.
var countedActions = map[string]bool{
	"getBalance": true, "getNumber": true, "getNumberV2": true, "getStatus": true,
	"getStatusV2": true, "setStatus": true, "getActiveActivations": true,
	"getPrices": true, "getCountries": true, "getServicesList": true,
}

// count records one protocol request.
func (s *Sim) count(action string) {
	if !countedActions[action] {
		action = "other"
	}
	s.statsMu.Lock()
	s.counts[action]++
	s.statsMu.Unlock()
}

// RequestCounts returns the number of protocol requests per action since
// New or the last ResetCounts, faulted ones included.
func (s *Sim) RequestCounts() map[string]int64 {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return maps.Clone(s.counts)
}

// ResetCounts zeroes the request counts.
func (s *Sim) ResetCounts() {
	s.statsMu.Lock()
	clear(s.counts)
	s.statsMu.Unlock()
}
