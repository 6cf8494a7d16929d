package stub_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/coretest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current answers")

// goldenCase is one request whose exact answer is pinned in
// testdata/<name>.golden. setup prepares a fresh reseller's state and
// returns the parameters; it runs once for GET and once for POST, each time
// for a new reseller, and both answers must equal the golden file.
type goldenCase struct {
	name  string
	funds string // the reseller's wallet; default 50000
	setup func(t *testing.T, f *fixture) url.Values
}

// Pairs reserved for cases that change the simulator's stock.
const (
	soldOutService = "ot"
	soldOutCountry = 78
)

func goldenCases() []goldenCase {
	ctx := context.Background()
	return []goldenCase{
		// Authentication and dispatch.
		{name: "no_key", setup: func(t *testing.T, f *fixture) url.Values {
			return url.Values{"action": {"getBalance"}}
		}},
		{name: "bad_key_malformed", setup: func(t *testing.T, f *fixture) url.Values {
			return url.Values{"api_key": {"not-a-key"}, "action": {"getBalance"}}
		}},
		{name: "bad_key_unknown", setup: func(t *testing.T, f *fixture) url.Values {
			key, err := core.GenerateAPIKey()
			require.NoError(t, err)
			return url.Values{"api_key": {key}, "action": {"getBalance"}}
		}},
		{name: "bad_key_revoked", setup: func(t *testing.T, f *fixture) url.Values {
			require.NoError(t, f.env.Keys.Revoke(ctx, f.user.ID, f.p.KeyID))
			return f.params("getBalance")
		}},
		{name: "no_action", setup: func(t *testing.T, f *fixture) url.Values {
			return url.Values{"api_key": {f.key}}
		}},
		{name: "bad_action", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getRentNumber", "service", "wa")
		}},
		{name: "bad_action_case", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getbalance")
		}},

		// Balance.
		{name: "getBalance", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getBalance") }},
		{name: "getBalance_kobo", funds: "1234.5", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getBalance") }},
		{name: "getBalance_empty", funds: "-", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getBalance") }},
		{name: "getBalanceAndCashBack", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getBalanceAndCashBack")
		}},
		{name: "getBalance_after_purchase", setup: func(t *testing.T, f *fixture) url.Values {
			f.buy(t, "wa", 187)
			return f.params("getBalance")
		}},
		{name: "getBalance_after_cancel", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			_, _, err := f.env.SMS.Cancel(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("getBalance")
		}},

		// Catalog.
		{name: "getServicesList", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getServicesList") }},
		{name: "getServicesList_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getServicesList", "country", "187", "lang", "ru")
		}},
		{name: "getServicesList_unknown_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getServicesList", "country", "999")
		}},
		{name: "getCountries", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getCountries") }},
		{name: "getPrices", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getPrices") }},
		{name: "getPrices_service", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getPrices", "service", "wa")
		}},
		{name: "getPrices_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getPrices", "country", "19")
		}},
		{name: "getPrices_service_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getPrices", "service", "wa", "country", "187")
		}},
		{name: "getPrices_unknown_service", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getPrices", "service", "zz")
		}},
		{name: "getPrices_bad_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getPrices", "country", "usa")
		}},
		{name: "getTopCountriesByService", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getTopCountriesByService", "service", "tg")
		}},
		{name: "getTopCountriesByService_freePrice", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getTopCountriesByService", "service", "tg", "freePrice", "true")
		}},
		{name: "getTopCountriesByService_no_service", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getTopCountriesByService")
		}},
		{name: "getOperators", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getOperators") }},
		{name: "getOperators_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getOperators", "country", "187")
		}},
		{name: "getOperators_unknown_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getOperators", "country", "999")
		}},

		// Buying.
		{name: "getNumber", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "wa", "country", "187")
		}},
		{name: "getNumber_ignores_unknown_params", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "wa", "country", "187", "operator", "tmobile", "forward", "0",
				"ref", "x", "phoneException", "1212", "activationType", "0", "verification", "true", "freePrice", "true")
		}},
		{name: "getNumber_default_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "tg")
		}},
		{name: "getNumber_unknown_service", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "zz", "country", "187")
		}},
		{name: "getNumber_no_service", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "country", "187")
		}},
		{name: "getNumber_unknown_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "wa", "country", "999")
		}},
		{name: "getNumber_bad_country", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "wa", "country", "usa")
		}},
		{name: "getNumber_no_numbers", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", soldOutService, "country", fmt.Sprint(soldOutCountry))
		}},
		{name: "getNumber_no_balance", funds: "100", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "wa", "country", "187")
		}},
		{name: "getNumber_maxPrice_below", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "wa", "country", "187", "maxPrice", "100")
		}},
		{name: "getNumber_max_price_below", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "wa", "country", "187", "max_price", "100.50")
		}},
		{name: "getNumber_maxPrice_unreadable", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumber", "service", "wa", "country", "187", "maxPrice", "cheap")
		}},
		{name: "getNumber_maxPrice_equal", setup: func(t *testing.T, f *fixture) url.Values {
			offer, ok := f.env.Catalog.Snapshot().Offer("wa", 187)
			require.True(t, ok)
			return f.params("getNumber", "service", "wa", "country", "187", "maxPrice", core.FormatNGN(offer.Price))
		}},
		{name: "getNumberV2", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumberV2", "service", "tg", "country", "16")
		}},
		{name: "getNumberV2_no_numbers", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getNumberV2", "service", soldOutService, "country", fmt.Sprint(soldOutCountry))
		}},

		// Status.
		{name: "getStatus_wait_code", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getStatus", "id", f.id(f.buy(t, "wa", 187)))
		}},
		{name: "getStatus_ok", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "Your WhatsApp code is 482-913", "482913")
			return f.params("getStatus", "id", f.id(o))
		}},
		{name: "getStatus_ok_code_sanitized", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "code 12:34", "12:34 ")
			return f.params("getStatus", "id", f.id(o))
		}},
		{name: "getStatus_wait_retry", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "go", 22)
			f.deliver(t, o, "G-100200 is your Google code", "100200")
			_, err := f.env.SMS.RequestAnother(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("getStatus", "id", f.id(o))
		}},
		{name: "getStatus_cancelled", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			_, _, err := f.env.SMS.Cancel(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("getStatus", "id", f.id(o))
		}},
		{name: "getStatus_finished", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "code 555666", "555666")
			_, err := f.env.SMS.Finish(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("getStatus", "id", f.id(o))
		}},
		{name: "getStatus_leading_zero_id", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getStatus", "id", "0"+f.id(f.buy(t, "wa", 187)))
		}},
		{name: "getStatus_no_id", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getStatus") }},
		{name: "getStatus_non_numeric_id", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getStatus", "id", "931fbc26")
		}},
		{name: "getStatus_negative_id", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getStatus", "id", "-12345678")
		}},
		{name: "getStatus_unknown_id", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getStatus", "id", "99999999")
		}},
		{name: "getStatus_short_number", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getStatus", "id", "42")
		}},
		{name: "getStatus_other_keys_order", setup: func(t *testing.T, f *fixture) url.Values {
			other := newFixture(t, f.env, "5000")
			return f.params("getStatus", "id", other.id(other.buy(t, "wa", 187)))
		}},
		{name: "getStatus_same_user_other_key", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			key, _, err := f.env.Keys.Issue(ctx, f.user.ID, "second")
			require.NoError(t, err)
			return url.Values{"api_key": {key}, "action": {"getStatus"}, "id": {f.id(o)}}
		}},
		{name: "getStatusV2_waiting", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getStatusV2", "id", f.id(f.buy(t, "wa", 187)))
		}},
		{name: "getStatusV2_code", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "Your WhatsApp code is 482-913. Don't share it & stay <safe>", "482913")
			return f.params("getStatusV2", "id", f.id(o))
		}},
		{name: "getStatusV2_error_words_neutralized", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "NO_NUMBERS? BANNED! Your code is 777888", "777888")
			return f.params("getStatusV2", "id", f.id(o))
		}},
		{name: "getStatusV2_wait_retry", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "go", 22)
			f.deliver(t, o, "G-100200 is your Google code", "100200")
			_, err := f.env.SMS.RequestAnother(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("getStatusV2", "id", f.id(o))
		}},
		{name: "getStatusV2_cancelled", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			_, _, err := f.env.SMS.Cancel(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("getStatusV2", "id", f.id(o))
		}},
		{name: "getStatusV2_unknown_id", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("getStatusV2", "id", "99999999")
		}},

		// setStatus.
		{name: "setStatus_1_ready", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", f.id(f.buy(t, "wa", 187)), "status", "1")
		}},
		{name: "setStatus_1_cancelled", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			_, _, err := f.env.SMS.Cancel(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("setStatus", "id", f.id(o), "status", "1")
		}},
		{name: "setStatus_3_retry", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "go", 22)
			f.deliver(t, o, "G-100200 is your Google code", "100200")
			return f.params("setStatus", "id", f.id(o), "status", "3")
		}},
		{name: "setStatus_3_without_code", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", f.id(f.buy(t, "go", 22)), "status", "3")
		}},
		{name: "setStatus_6_finish", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "code 111222", "111222")
			return f.params("setStatus", "id", f.id(o), "status", "6")
		}},
		{name: "setStatus_6_without_code", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", f.id(f.buy(t, "wa", 187)), "status", "6")
		}},
		{name: "setStatus_6_twice", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "code 111222", "111222")
			_, err := f.env.SMS.Finish(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("setStatus", "id", f.id(o), "status", "6")
		}},
		{name: "setStatus_8_cancel", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", f.id(f.buy(t, "wa", 187)), "status", "8")
		}},
		{name: "setStatus_8_after_code", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "code 111222", "111222")
			return f.params("setStatus", "id", f.id(o), "status", "8")
		}},
		{name: "setStatus_minus1_cancel", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", f.id(f.buy(t, "wa", 187)), "status", "-1")
		}},
		{name: "setStatus_8_twice", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			_, _, err := f.env.SMS.Cancel(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("setStatus", "id", f.id(o), "status", "8")
		}},
		{name: "setStatus_8_after_finish", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			f.deliver(t, o, "code 111222", "111222")
			_, err := f.env.SMS.Finish(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("setStatus", "id", f.id(o), "status", "8")
		}},
		{name: "setStatus_unsupported_status", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", f.id(f.buy(t, "wa", 187)), "status", "5")
		}},
		{name: "setStatus_no_status", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", f.id(f.buy(t, "wa", 187)))
		}},
		{name: "setStatus_non_numeric_id", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", "abc", "status", "8")
		}},
		{name: "setStatus_unknown_id", setup: func(t *testing.T, f *fixture) url.Values {
			return f.params("setStatus", "id", "99999999", "status", "8")
		}},
		{name: "setStatus_other_keys_order", setup: func(t *testing.T, f *fixture) url.Values {
			other := newFixture(t, f.env, "5000")
			return f.params("setStatus", "id", other.id(other.buy(t, "wa", 187)), "status", "8")
		}},

		// Lists.
		{name: "getActivations", setup: func(t *testing.T, f *fixture) url.Values {
			f.history(t)
			return f.params("getActivations")
		}},
		{name: "getActivations_limit", setup: func(t *testing.T, f *fixture) url.Values {
			f.history(t)
			return f.params("getActivations", "limit", "2")
		}},
		{name: "getActivations_offset", setup: func(t *testing.T, f *fixture) url.Values {
			f.history(t)
			return f.params("getActivations", "limit", "2", "offset", "2")
		}},
		{name: "getActivations_limit_clamped", setup: func(t *testing.T, f *fixture) url.Values {
			f.buy(t, "wa", 187)
			return f.params("getActivations", "limit", "1000")
		}},
		{name: "getActivations_none", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getActivations") }},
		{name: "getHistory", setup: func(t *testing.T, f *fixture) url.Values {
			f.history(t)
			return f.params("getHistory")
		}},
		{name: "getHistory_size", setup: func(t *testing.T, f *fixture) url.Values {
			f.history(t)
			return f.params("getHistory", "size", "1", "start", "1700000000", "end", "1800000000")
		}},
		{name: "getHistory_none", setup: func(t *testing.T, f *fixture) url.Values { return f.params("getHistory") }},
		{name: "getActiveActivations", setup: func(t *testing.T, f *fixture) url.Values {
			f.history(t)
			return f.params("getActiveActivations")
		}},
		{name: "getActiveActivations_limit", setup: func(t *testing.T, f *fixture) url.Values {
			f.history(t)
			return f.params("getActiveActivations", "start", "1", "limit", "1")
		}},
		{name: "getActiveActivations_none", setup: func(t *testing.T, f *fixture) url.Values {
			o := f.buy(t, "wa", 187)
			_, _, err := f.env.SMS.Cancel(ctx, f.scope, o.ID)
			require.NoError(t, err)
			return f.params("getActiveActivations")
		}},
	}
}

// history gives the reseller one order in each state, oldest first:
// cancelled, finished, waiting for another SMS, with its code, waiting.
func (f *fixture) history(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cancelled := f.buy(t, "wa", 187)
	_, _, err := f.env.SMS.Cancel(ctx, f.scope, cancelled.ID)
	require.NoError(t, err)
	finished := f.buy(t, "tg", 16)
	f.deliver(t, finished, "Telegram code 11111", "11111")
	_, err = f.env.SMS.Finish(ctx, f.scope, finished.ID)
	require.NoError(t, err)
	again := f.buy(t, "go", 22)
	f.deliver(t, again, "G-222333 is your Google code", "222333")
	_, err = f.env.SMS.RequestAnother(ctx, f.scope, again.ID)
	require.NoError(t, err)
	coded := f.buy(t, "ig", 19)
	f.deliver(t, coded, "Instagram code: 444555", "444555")
	f.buy(t, "fb", 43)
}

// TestGolden pins every action's exact answer, errors included, for GET and
// POST; run with -update to rewrite the files after an intended change.
func TestGolden(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	env.Sim.SetStock(soldOutService, soldOutCountry, 0, nil) // upstream only: our catalog still lists it
	h := newStub(env, allowAll{})

	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var answers []string
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				funds := c.funds
				switch funds {
				case "":
					funds = "50000"
				case "-":
					funds = ""
				}
				f := newFixture(t, env, funds)
				resp := call(t, h, method, c.setup(t, f))
				requireWellFormed(t, resp)
				answers = append(answers, fmt.Sprintf("%d %s\n%s", resp.status, resp.contentType, f.normalize(t, resp.body)))
			}
			require.Equal(t, answers[0], answers[1], "GET and POST answer alike")
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(answers[0]), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./core/stub -run TestGolden -update to create it")
			require.Equal(t, string(want), answers[0])
		})
	}
}

// requireWellFormed checks what every answer must be, whatever it says.
func requireWellFormed(t *testing.T, resp response) {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.status, "protocol errors are HTTP 200 too")
	require.NotEmpty(t, resp.body)
	require.False(t, strings.HasSuffix(resp.body, "\n"), "no trailing newline")
	require.Equal(t, resp.body, strings.TrimSpace(resp.body))
	switch resp.contentType {
	case "application/json; charset=utf-8":
		require.True(t, json.Valid([]byte(resp.body)), resp.body)
	case "text/plain; charset=utf-8":
		require.NotContains(t, resp.body, "\n")
	default:
		t.Fatalf("unexpected content type %q", resp.contentType)
	}
	requireNoErrorWordInSuccess(t, resp.body)
}

// errorTokens are the answers that are errors; any other answer is a
// success and must not contain one.
var errorTokens = []string{
	"NO_KEY", "BAD_KEY", "BAD_ACTION", "BAD_SERVICE", "NO_NUMBERS", "NO_BALANCE", "NO_ACTIVATION",
	"WRONG_ACTIVATION_ID", "BAD_STATUS", "ERROR_SQL", "WRONG_MAX_PRICE", "RATE_LIMIT", "BANNED",
	"OPERATORS_NOT_FOUND", "EARLY_CANCEL_DENIED", "CHANNELS_LIMIT",
}

func isErrorAnswer(body string) bool {
	if strings.HasPrefix(body, `{"status":"error"`) {
		return true
	}
	for _, tok := range errorTokens {
		if body == tok || strings.HasPrefix(body, tok+":") {
			return true
		}
	}
	return false
}

func requireNoErrorWordInSuccess(t *testing.T, body string) {
	t.Helper()
	if isErrorAnswer(body) {
		return
	}
	for _, tok := range errorTokens {
		require.NotContains(t, body, tok, "a success body never contains an error word")
	}
}
