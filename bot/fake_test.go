package bot

import (
	"testing"

	"accgen/bot/bottest"
)

// The bot's tests talk to the fake Bot API of package bottest (shared with
// the multi-instance tests of cmd/accgen).
type (
	fakeTG  = bottest.Server
	tgCall  = bottest.Call
	tgError = bottest.Error
)

const testToken = bottest.Token

func newFakeTG(t testing.TB) *fakeTG { return bottest.New(t) }
