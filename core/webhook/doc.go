// Package webhook delivers the outbox of core.Webhooks to resellers' URLs:
// Standard Webhooks signatures, a short timeout, no redirects, retries with
// exponential backoff and jitter for more than a day, every attempt recorded,
// and an SSRF guard at dial time so no delivery reaches our own network.
package webhook
