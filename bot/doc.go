// Package bot is the Telegram storefront: customers buy SMS numbers and
// accounts from their NGN balance, resellers manage API keys and webhooks,
// and admins run the shop, all through inline keyboards in the customer's
// language.
//
// The bot drives the domain (package core) and never imports storage; what
// it needs stored is declared here as small interfaces (Store,
// SessionStore) and implemented by storage/postgres and storage/redis.
//
// Runtime: go-telegram/bot receives updates (long polling, or a webhook on
// the main HTTP server) on one dispatcher goroutine; a per-chat serialiser
// (serial.go) runs each chat's updates in order on its own goroutine, with a
// timeout and panic recovery, so a slow or crashing handler never stalls
// other chats nor reorders its own. Every outgoing call goes through one
// Sender (sender.go) with a global and a per-chat rate limit that honours
// 429 retry_after and marks users who blocked the bot.
//
// Durable messages (a code that arrived, an expiry, a top-up, a refund, a
// broadcast) are rows in an outbox written in the same transaction as the
// event, delivered by workers (outbox.go, broadcast.go); screens are edited
// in place and callback data carries all navigation state, so only text
// input needs a session (session.go).
package bot
