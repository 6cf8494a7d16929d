// Package stub serves /stubs/handler_api.php, the SMS-Activate-compatible
// endpoint: existing bots and reseller tools point their base URL here and
// keep working. It drives the same engine as the REST API (an order bought
// here is the same order REST shows, its 8-digit short id being the
// activation id) and speaks the protocol the way SMS-Activate did, because
// that is what the clients in the wild were written against:
//
//   - GET or POST; parameters come from the query string and from an
//     application/x-www-form-urlencoded or multipart/form-data body. When a
//     name is in both, the query string wins: SMS-Activate documents api_key
//     and action as query parameters, and clients that POST put them there.
//   - Answers are bare text/plain tokens or application/json, never with a
//     trailing newline; every protocol error is HTTP 200 with a bare token
//     (axios-based clients throw on any other status before reading the
//     token). Ids and phone numbers are digits only, and no success body ever
//     contains an error word (clients match errors by substring).
//   - Tripping the per-key rate limit or the failed-authentication guard
//     (both shared with the REST API) is the one non-200 protocol answer:
//     HTTP 429 with Retry-After and the body RATE_LIMIT, as HeroSMS answers;
//     the request did nothing, and a client that throws on it is right to.
//     Outside the protocol, other methods than GET and POST get 405 and a
//     body over 64 KiB gets 413.
//
// handler.go parses, authenticates and rate-limits; dispatch.go is the one
// switch over action; actions_*.go answer them; errors.go is the one table
// from engine errors to tokens.
package stub
