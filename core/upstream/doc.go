// Package upstream is the client for SMS-Activate-compatible providers
// (SMS-Activate, HeroSMS, DaisySMS, SMSHub, Grizzly, Tiger and clones): the
// engine uses it to buy numbers upstream and to watch them for codes.
//
// Every method speaks the handler_api.php protocol: GET requests with
// api_key and action in the query string, answers that are either bare
// tokens ("ACCESS_NUMBER:123:15551234567") or JSON. Providers disagree on
// details, so the parsers accept the documented variants (numbers sent as
// strings, HeroSMS error envelopes with non-2xx statuses, arrays instead of
// objects) and turn anything else into a *ProtocolError instead of guessing.
//
// Errors fall into three groups, see errors.go:
//   - the provider answered with a protocol word: a sentinel such as
//     ErrNoNumbers, matched with errors.Is;
//   - the provider answered something we cannot read: *ProtocolError;
//   - the request failed in transit: *TransportError.
//
// IsOutcomeUnknown tells the engine whether a failed call may still have
// taken effect upstream (a number bought, an activation cancelled), which is
// what its two-phase order placement needs to know.
//
// The API key travels in the query string, so it is redacted from every
// error and log line this package produces.
package upstream
