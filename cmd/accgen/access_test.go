package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// dataOf decodes the envelope's data of a successful answer.
func dataOf(t *testing.T, status int, body string, out any) {
	t.Helper()
	require.Less(t, status, 300, body)
	var env restEnvelope
	require.NoError(t, json.Unmarshal([]byte(body), &env), body)
	require.True(t, env.Success, body)
	require.NoError(t, json.Unmarshal(env.Data, out), body)
}

// One key can never read, cancel or otherwise touch another key's orders,
// deliveries or webhook endpoint, on any route of either front end: not a
// key of another user, and not another key of the same user. Each intruder
// gets NOT_FOUND (REST) or NO_ACTIVATION (stub) and lists without the
// owner's items; afterwards the owner's orders and endpoint are unchanged
// and the owner still reaches all of them.
func TestKeysCannotReachOtherKeysOrders(t *testing.T) {
	t.Parallel()
	e := startEngine(t)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hooks.Close()
	userA, owner := e.reseller(t, 5001, "100000")
	sameUser := e.key(t, userA)
	userB, otherUser := e.reseller(t, 5002, "100000")
	otherUser2 := e.key(t, userB)
	product := e.product(t, "one@x.example:pw1", "two@x.example:pw2")

	// The owner's things: a webhook endpoint, an order placed over REST that
	// received its SMS (and so a delivery), one placed over the stub, an
	// account order.
	status, body := e.call(t, "PUT", "/api/v1/user/webhook", owner, fmt.Sprintf(`{"url":%q}`, hooks.URL))
	var endpoint struct{ Secret string }
	dataOf(t, status, body, &endpoint)
	type order struct {
		ID      string `json:"id"`
		ShortID string `json:"short_id"`
		Status  string `json:"status"`
	}
	var rest order
	status, body = e.call(t, "POST", "/api/v1/sms/orders", owner, `{"service_id":"wa","country_id":187}`)
	dataOf(t, status, body, &rest)
	answer := e.stub(t, owner, url.Values{"action": {"getNumber"}, "service": {"wa"}, "country": {"187"}})
	require.True(t, strings.HasPrefix(answer, "ACCESS_NUMBER:"), answer)
	stubShort := strings.Split(answer, ":")[1]
	var account struct {
		ID string `json:"id"`
	}
	status, body = e.call(t, "POST", "/api/v1/accounts/orders", owner, fmt.Sprintf(`{"account_id":%s}`, product))
	dataOf(t, status, body, &account)
	var list struct{ Orders []order }
	status, body = e.call(t, "GET", "/api/v1/sms/orders", owner, "")
	dataOf(t, status, body, &list)
	var stubOrder order
	for _, o := range list.Orders {
		if o.ShortID == stubShort {
			stubOrder = o
		}
	}
	require.NotEmpty(t, stubOrder.ID, "the stub's order is the owner's REST order too")
	var upstreamID string
	for _, a := range e.sim.Activations() {
		upstreamID = a.ID // the first bought is the REST order's
		break
	}
	require.NoError(t, e.sim.InjectSMS(upstreamID, "Your code is 246810", ""))
	var deliveries struct {
		Deliveries []struct{ ID, State string }
	}
	require.Eventually(t, func() bool {
		status, body := e.call(t, "GET", "/api/v1/user/webhook/deliveries", owner, "")
		dataOf(t, status, body, &deliveries)
		return len(deliveries.Deliveries) == 1 && deliveries.Deliveries[0].State == "delivered"
	}, 20*time.Second, 100*time.Millisecond)
	delivery := deliveries.Deliveries[0].ID
	balance := func(key string) string {
		_, body := e.call(t, "GET", "/api/v1/user/balance", key, "")
		return body
	}
	ownerBalance := balance(owner)

	restNotFound := func(method, path, body string) func(t *testing.T, key string) {
		return func(t *testing.T, key string) {
			status, raw := e.call(t, method, path, key, body)
			require.Equal(t, http.StatusNotFound, status, raw)
			require.Contains(t, raw, `"NOT_FOUND"`)
		}
	}
	listWithout := func(path string, ids ...string) func(t *testing.T, key string) {
		return func(t *testing.T, key string) {
			status, raw := e.call(t, "GET", path, key, "")
			require.Equal(t, http.StatusOK, status, raw)
			for _, id := range ids {
				require.NotContains(t, raw, id)
			}
		}
	}
	stubRefused := func(params url.Values) func(t *testing.T, key string) {
		return func(t *testing.T, key string) {
			p := url.Values{}
			for k, v := range params {
				p[k] = v
			}
			require.Equal(t, "NO_ACTIVATION", e.stub(t, key, p))
		}
	}
	stubWithout := func(action string) func(t *testing.T, key string) {
		return func(t *testing.T, key string) {
			raw := e.stub(t, key, url.Values{"action": {action}})
			require.NotContains(t, raw, rest.ShortID)
			require.NotContains(t, raw, stubShort)
			require.NotContains(t, raw, "246810")
		}
	}
	routes := []struct {
		name  string
		check func(t *testing.T, key string)
	}{
		{"GET sms order (REST)", restNotFound("GET", "/api/v1/sms/orders/"+rest.ID, "")},
		{"GET sms order (stub-placed)", restNotFound("GET", "/api/v1/sms/orders/"+stubOrder.ID, "")},
		{"DELETE sms order", restNotFound("DELETE", "/api/v1/sms/orders/"+rest.ID, "")},
		{"DELETE sms order (stub-placed)", restNotFound("DELETE", "/api/v1/sms/orders/"+stubOrder.ID, "")},
		{"GET sms orders", listWithout("/api/v1/sms/orders?limit=100", rest.ID, stubOrder.ID)},
		{"GET account order", restNotFound("GET", "/api/v1/accounts/orders/"+account.ID, "")},
		{"GET account orders", listWithout("/api/v1/accounts/orders?limit=100", account.ID, "one@x.example", "two@x.example")},
		{"GET webhook delivery", restNotFound("GET", "/api/v1/user/webhook/deliveries/"+delivery, "")},
		{"GET webhook deliveries", listWithout("/api/v1/user/webhook/deliveries?limit=100", delivery)},
		{"GET webhook endpoint", restNotFound("GET", "/api/v1/user/webhook", "")},
		{"POST webhook test", restNotFound("POST", "/api/v1/user/webhook/test", "")},
		{"DELETE webhook endpoint", func(t *testing.T, key string) {
			status, raw := e.call(t, "DELETE", "/api/v1/user/webhook", key, "")
			require.Less(t, status, 500, raw) // their own (absent) endpoint, never the owner's
		}},
		{"stub getStatus", stubRefused(url.Values{"action": {"getStatus"}, "id": {rest.ShortID}})},
		{"stub getStatus (stub-placed)", stubRefused(url.Values{"action": {"getStatus"}, "id": {stubShort}})},
		{"stub getStatusV2", stubRefused(url.Values{"action": {"getStatusV2"}, "id": {rest.ShortID}})},
		{"stub setStatus 1", stubRefused(url.Values{"action": {"setStatus"}, "status": {"1"}, "id": {stubShort}})},
		{"stub setStatus 3", stubRefused(url.Values{"action": {"setStatus"}, "status": {"3"}, "id": {rest.ShortID}})},
		{"stub setStatus 6", stubRefused(url.Values{"action": {"setStatus"}, "status": {"6"}, "id": {rest.ShortID}})},
		{"stub setStatus 8", stubRefused(url.Values{"action": {"setStatus"}, "status": {"8"}, "id": {stubShort}})},
		{"stub setStatus 8 (REST-placed)", stubRefused(url.Values{"action": {"setStatus"}, "status": {"8"}, "id": {rest.ShortID}})},
		{"stub getActivations", stubWithout("getActivations")},
		{"stub getHistory", stubWithout("getHistory")},
		{"stub getActiveActivations", stubWithout("getActiveActivations")},
	}
	for _, intruder := range []struct{ name, key string }{
		{"same user's other key", sameUser}, {"other user's key", otherUser}, {"other user's second key", otherUser2},
	} {
		for _, r := range routes {
			t.Run(intruder.name+"/"+r.name, func(t *testing.T) { r.check(t, intruder.key) })
		}
	}

	// Nothing the intruders did touched the owner.
	require.Equal(t, ownerBalance, balance(owner))
	var got order
	status, body = e.call(t, "GET", "/api/v1/sms/orders/"+rest.ID, owner, "")
	dataOf(t, status, body, &got)
	require.Equal(t, "completed", got.Status)
	status, body = e.call(t, "GET", "/api/v1/sms/orders/"+stubOrder.ID, owner, "")
	dataOf(t, status, body, &got)
	require.Equal(t, "pending", got.Status)
	var still struct{ Secret string }
	status, body = e.call(t, "GET", "/api/v1/user/webhook", owner, "")
	dataOf(t, status, body, &still)
	require.Equal(t, endpoint.Secret, still.Secret)
	for _, path := range []string{"/api/v1/accounts/orders/" + account.ID, "/api/v1/user/webhook/deliveries/" + delivery} {
		status, body := e.call(t, "GET", path, owner, "")
		require.Equal(t, http.StatusOK, status, body)
	}
	require.True(t, strings.HasPrefix(e.stub(t, owner, url.Values{"action": {"getStatus"}, "id": {rest.ShortID}}), "STATUS_OK:246810"))
	require.Equal(t, "ACCESS_CANCEL", e.stub(t, owner, url.Values{"action": {"setStatus"}, "status": {"8"}, "id": {stubShort}}))
}

// Credentials never reach a log: not the API keys (header, query or form),
// not a wrong key someone tried, not the account credentials sold, not the
// webhook secret, the upstream key or the encryption key, even at debug
// level through a purchase, stub calls, webhook set-up and a stock import.
func TestCredentialsAreNeverLogged(t *testing.T) {
	t.Parallel()
	e := startEngine(t, "ACCGEN_LOG_LEVEL", "debug")
	_, key := e.reseller(t, 6001, "100000")
	secretCreds := []string{"victim@mail.example:S3cr3t-Passw0rd!", "second@mail.example:An0ther-Secret#"}
	product := e.product(t, secretCreds...)
	wrongKey := key[:len(key)-4] + "zzzz"

	status, body := e.call(t, "POST", "/api/v1/accounts/orders", key, fmt.Sprintf(`{"account_id":%s,"quantity":2}`, product))
	require.Equal(t, http.StatusCreated, status, body)
	for _, c := range secretCreds {
		require.Contains(t, body, c, "the buyer gets the credentials")
	}
	status, body = e.call(t, "GET", "/api/v1/accounts/orders?limit=5", key, "")
	require.Equal(t, http.StatusOK, status, body)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hooks.Close()
	status, body = e.call(t, "PUT", "/api/v1/user/webhook", key, fmt.Sprintf(`{"url":%q}`, hooks.URL))
	var endpoint struct{ Secret string }
	dataOf(t, status, body, &endpoint)
	status, body = e.call(t, "POST", "/api/v1/user/webhook/test", key, "")
	require.Equal(t, http.StatusOK, status, body)

	answer := e.stub(t, key, url.Values{"action": {"getNumber"}, "service": {"wa"}, "country": {"187"}})
	require.True(t, strings.HasPrefix(answer, "ACCESS_NUMBER:"), answer)
	resp, err := http.PostForm(e.base+"/stubs/handler_api.php", url.Values{"api_key": {key}, "action": {"getBalance"}})
	require.NoError(t, err)
	resp.Body.Close()
	e.stub(t, wrongKey, url.Values{"action": {"getBalance"}})
	status, _ = e.call(t, "GET", "/api/v1/user/balance", wrongKey, "")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = e.call(t, "GET", "/api/v1/user/balance?api_key="+url.QueryEscape(key)+"&key="+url.QueryEscape(wrongKey), key, "")
	require.Equal(t, http.StatusOK, status)

	var importOut, importErr strings.Builder
	file := t.TempDir() + "/more.txt"
	require.NoError(t, os.WriteFile(file, []byte("third@mail.example:Th1rd-Secret$\n"), 0o600))
	require.NoError(t, run(t.Context(), []string{"admin", "stock", "import", "--product", product, "--file", file}, e.getenv, &importOut, &importErr))

	require.Eventually(t, func() bool { return strings.Contains(e.logs.String(), "/stubs/handler_api.php") }, 5*time.Second, 50*time.Millisecond)
	logs := e.logs.String() + importOut.String() + importErr.String()
	require.Contains(t, logs, "/api/v1/accounts/orders", "debug access logs were written")
	for what, secret := range map[string]string{
		"API key": key, "wrong API key": wrongKey, "webhook secret": endpoint.Secret,
		"webhook secret (base64 part)": strings.TrimPrefix(endpoint.Secret, "whsec_"), "upstream key": upstreamTestKey,
		"encryption key": e.getenv("ACCGEN_ENCRYPTION_KEY"), "credential 1": secretCreds[0], "credential 2": secretCreds[1],
		"password 1": "S3cr3t-Passw0rd!", "password 2": "An0ther-Secret#", "imported credential": "Th1rd-Secret$",
		"API key (escaped)": url.QueryEscape(key),
	} {
		require.NotContains(t, logs, secret, "the %s is in the logs", what)
	}
}
