// Package core is the acc-gen engine: the domain vocabulary (users, API keys,
// the NGN ledger, orders) and the use cases that move money.
//
// core imports no transport and no storage driver. Storage implements the
// small interfaces declared here (see store.go); the REST API, the
// SMS-Activate stub and the Telegram bot drive the use cases and translate
// core errors at their edge, each in one table.
package core
