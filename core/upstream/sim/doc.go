// Package sim is an SMS-Activate-protocol server for development, demos and
// tests: it sells made-up numbers from a built-in catalog, lets a test (or
// an operator, through a small JSON control API) deliver SMS, change stock
// and inject faults, and counts requests so poll costs can be measured.
//
// It follows SMS-Activate rather than any clone: HTTP 200 and a bare token
// for every protocol error, no trailing newline, digits-only ids and
// phones, USD prices (currency 840). It is never a production default.
//
// Routes served by Handler:
//
//	GET|POST /stubs/handler_api.php   getBalance, getNumber, getNumberV2,
//	                                  getStatus, getStatusV2, setStatus,
//	                                  getActiveActivations, getPrices,
//	                                  getCountries, getServicesList
//	POST /sim/sms          {"activation_id","text","code"?} → 200 | 404 | 409
//	POST /sim/stock        {"service","country","count","cost"?} → 200
//	POST /sim/faults       {"mode","rate"?,"latency_ms"?} → 200; mode is none,
//	                       timeout, http500, garbage, no_numbers or lost_answer
//	GET  /sim/activations  [{"id","phone","service","country","status","sms":[…]}]
//	GET  /sim/stats        {"requests":{"<action>":n}}
//
// Bad control-API input is a 400 with {"error": "..."}.
//
// Time is taken from Config.Now and expiry is evaluated lazily on each
// request, so tests move through the early-cancel window and the TTL with
// a fake clock; only auto-SMS uses real timers.
package sim
