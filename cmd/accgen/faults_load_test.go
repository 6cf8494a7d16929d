package main

// The fault suite's load: workers that place SMS orders over REST and the
// stub, cancel them, make SMS arrive upstream, buy accounts, top wallets up
// and import stock, while remembering every answer that acknowledged
// something, so the checks can prove none of it was lost.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"accgen/core/upstream/sim"
)

// requestTimeout is the clients' patience. The slowest legitimate answer is
// a purchase upstream never answers: the upstream client gives up after
// 15 s and the order is refunded. A request still unanswered after this is
// a hang (a violation).
const requestTimeout = 30 * time.Second

// Outcomes of one operation.
const (
	outOK          = "ok"
	outRefused     = "refused"     // a clean error answer (envelope or protocol token)
	outUnavailable = "unavailable" // no answer while the server was down (SIGKILL)
	outHung        = "hung"        // no answer within requestTimeout
	outBad         = "bad"         // an answer that is neither success nor a clean refusal
)

// opCount counts one operation's outcomes.
type opCount struct {
	attempted, ok, refused, unavailable, violations int
}

// window aggregates the requests started in one phase (or while its fault
// was active).
type window struct {
	mu         sync.Mutex
	ops        map[string]*opCount
	refusals   map[string]int // "op CODE" → count
	slowest    time.Duration
	slowestOp  string
	serverErrs int // 5xx envelopes and ERROR_SQL tokens
	problems   []string
}

func newWindow() *window {
	return &window{ops: map[string]*opCount{}, refusals: map[string]int{}}
}

func (w *window) add(op, outcome, code string, latency time.Duration, problem string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.ops[op]
	if c == nil {
		c = &opCount{}
		w.ops[op] = c
	}
	c.attempted++
	switch outcome {
	case outOK:
		c.ok++
	case outRefused:
		c.refused++
		w.refusals[op+" "+code]++
		if code == "INTERNAL_ERROR" || code == "ERROR_SQL" || strings.HasPrefix(code, "HTTP 5") {
			w.serverErrs++
		}
	case outUnavailable:
		c.unavailable++
	default:
		c.violations++
	}
	if problem != "" && len(w.problems) < 20 {
		w.problems = append(w.problems, problem)
	}
	if latency > w.slowest {
		w.slowest, w.slowestOp = latency, op
	}
}

// refusalList names the refusals, most frequent first.
func (w *window) refusalList() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := make([]string, 0, len(w.refusals))
	for k := range w.refusals {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return w.refusals[b] - w.refusals[a] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, w.refusals[k]))
	}
	return strings.Join(parts, ", ")
}

func (w *window) slowestRequest() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.slowest
}

func (w *window) totals() opCount {
	w.mu.Lock()
	defer w.mu.Unlock()
	var t opCount
	for _, c := range w.ops {
		t.attempted += c.attempted
		t.ok += c.ok
		t.refused += c.refused
		t.unavailable += c.unavailable
		t.violations += c.violations
	}
	return t
}

// faultKey is one API key of the load.
type faultKey struct {
	idx    int
	key    string
	userID string
}

// ackOrder is an SMS order a client was told exists.
type ackOrder struct {
	key     int
	id      string // empty for stub orders (the stub names the short id)
	shortID int64
	via     string
}

// acks is everything the clients were told, for the checks.
type acks struct {
	mu         sync.Mutex
	orders     []*ackOrder
	byKey      map[int][]*ackOrder
	smsIdem    map[string]string // key|idempotency-key → order id
	cancelled  map[int64]bool    // short ids whose cancel was acknowledged
	purchases  map[string]int    // account order id → quantity
	creds      map[string]string // credential → account order id
	buyIdem    map[string]string // key|idempotency-key → account order id
	topups     map[string]string // reference → amount
	retryTopup []topupReq        // top-ups whose outcome is unknown: retried with the same reference
	violations []string
}

type topupReq struct{ user, amount, ref string }

func newAcks() *acks {
	return &acks{byKey: map[int][]*ackOrder{}, smsIdem: map[string]string{}, cancelled: map[int64]bool{},
		purchases: map[string]int{}, creds: map[string]string{}, buyIdem: map[string]string{}, topups: map[string]string{}}
}

func (a *acks) violation(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.violations = append(a.violations, fmt.Sprintf(format, args...))
}

func (a *acks) addOrder(o *ackOrder) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.orders = append(a.orders, o)
	a.byKey[o.key] = append(a.byKey[o.key], o)
}

// pick returns a random acknowledged order of key that is not known to be
// cancelled (nil when there is none).
func (a *acks) pick(rng *rand.Rand, key int, needID bool) *ackOrder {
	a.mu.Lock()
	defer a.mu.Unlock()
	list := a.byKey[key]
	for range 8 {
		if len(list) == 0 {
			return nil
		}
		// Mostly recent orders: those are the ones still waiting.
		o := list[len(list)-1-rng.IntN(min(len(list), 30))]
		if !a.cancelled[o.shortID] && (!needID || o.id != "") {
			return o
		}
	}
	return nil
}

// faultLoad drives the engine.
type faultLoad struct {
	base     string
	client   *http.Client
	sim      *sim.Sim
	keys     []faultKey
	products []string
	offers   [][2]string // service, country
	admin    func(args ...string) (string, error)
	stockDir string
	acks     *acks

	gate    sync.RWMutex // workers hold it shared per operation; checks take it to pause the load
	total   *window
	phase   atomic.Pointer[window]
	during  atomic.Pointer[window] // set while a fault is active
	down    atomic.Bool            // the server is known to be down (killed, not yet ready)
	downWin atomic.Int64           // unix nanos until which transport errors count as unavailable
	seq     atomic.Int64
	stop    chan struct{}
	halted  sync.Once
	wg      sync.WaitGroup
}

func newFaultLoad(base string, s *sim.Sim, keys []faultKey, products []string, admin func(args ...string) (string, error), stockDir string) *faultLoad {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	l := &faultLoad{
		base: base, client: &http.Client{Timeout: requestTimeout, Transport: transport}, sim: s, keys: keys,
		products: products, admin: admin, stockDir: stockDir, acks: newAcks(), total: newWindow(), stop: make(chan struct{}),
		offers: [][2]string{{"wa", "187"}, {"tg", "187"}, {"wa", "16"}, {"go", "22"}},
	}
	l.phase.Store(newWindow())
	return l
}

// start runs n workers, each with its own random stream.
func (l *faultLoad) start(n int, seed uint64) {
	for i := range n {
		l.wg.Go(func() { l.worker(rand.New(rand.NewPCG(seed, uint64(i)+1))) })
	}
}

func (l *faultLoad) halt() {
	l.halted.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// pause waits for in-flight operations to finish and holds new ones until
// resume: the checks look at a quiet system.
func (l *faultLoad) pause()  { l.gate.Lock() }
func (l *faultLoad) resume() { l.gate.Unlock() }

// operation weights.
var faultOps = []struct {
	name   string
	weight int
}{
	{"rest_order", 22}, {"stub_number", 16}, {"rest_cancel", 8}, {"stub_cancel", 6}, {"sms_arrival", 18},
	{"account_purchase", 10}, {"topup", 4}, {"read", 14}, {"stock_import", 2},
}

func (l *faultLoad) worker(rng *rand.Rand) {
	total := 0
	for _, o := range faultOps {
		total += o.weight
	}
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		n := rng.IntN(total)
		var op string
		for _, o := range faultOps {
			if n < o.weight {
				op = o.name
				break
			}
			n -= o.weight
		}
		l.gate.RLock()
		outcome := l.run(rng, op)
		l.gate.RUnlock()
		if outcome == outUnavailable {
			time.Sleep(100 * time.Millisecond) // the server is down: do not spin
		}
	}
}

func (l *faultLoad) run(rng *rand.Rand, op string) string {
	k := l.keys[rng.IntN(len(l.keys))]
	switch op {
	case "rest_order":
		return l.restOrder(rng, k)
	case "stub_number":
		return l.stubNumber(rng, k)
	case "rest_cancel":
		return l.restCancel(rng, k)
	case "stub_cancel":
		return l.stubCancel(rng, k)
	case "sms_arrival":
		return l.smsArrival(rng)
	case "account_purchase":
		return l.purchase(rng, k)
	case "topup":
		return l.topup(rng, k)
	case "read":
		return l.read(rng, k)
	default:
		return l.stockImport(rng)
	}
}

// tick is an operation under way: when it started and the windows that
// were open then.
type tick struct {
	started       time.Time
	phase, during *window
}

func (l *faultLoad) begin() tick {
	return tick{started: time.Now(), phase: l.phase.Load(), during: l.during.Load()}
}

// record files one operation's outcome in the run, the phase and, when it
// started while a fault was active, the fault's window.
func (l *faultLoad) record(tk tick, op, outcome, code, problem string) string {
	latency := time.Since(tk.started)
	if outcome == outUnavailable && !l.down.Load() && tk.started.UnixNano() > l.downWin.Load() {
		// Nobody killed the server: an unanswered request is a failure.
		outcome, problem = outBad, fmt.Sprintf("%s: no answer while the server was supposed to be up (%s)", op, code)
	}
	if problem == "" && (outcome == outBad || outcome == outHung) {
		problem = fmt.Sprintf("%s: %s %s after %s", op, outcome, code, latency.Round(time.Millisecond))
	}
	l.total.add(op, outcome, code, latency, problem)
	tk.phase.add(op, outcome, code, latency, problem)
	tk.during.add(op, outcome, code, latency, problem)
	return outcome
}

// envelope is the REST answer.
type restEnvelope struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// rest makes one REST call and classifies it; on success it decodes data
// into out.
func (l *faultLoad) rest(op, method, path, key, body string, header map[string]string, out any) (string, http.Header) {
	tk := l.begin()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, l.base+path, rd)
	req.Header.Set("X-API-Key", key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return l.record(tk, op, transportOutcome(err), err.Error(), ""), nil
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return l.record(tk, op, transportOutcome(err), err.Error(), ""), nil
	}
	var env restEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return l.record(tk, op, outBad, fmt.Sprintf("HTTP %d", resp.StatusCode),
			fmt.Sprintf("%s: HTTP %d with a body that is not the envelope: %.200q", op, resp.StatusCode, raw)), nil
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && env.Success {
		if out != nil {
			if err := json.Unmarshal(env.Data, out); err != nil {
				return l.record(tk, op, outBad, "data", fmt.Sprintf("%s: unreadable data %.200q", op, env.Data)), nil
			}
		}
		return l.record(tk, op, outOK, "", ""), resp.Header
	}
	if env.Success || env.Error == nil || env.Error.Code == "" {
		return l.record(tk, op, outBad, fmt.Sprintf("HTTP %d", resp.StatusCode),
			fmt.Sprintf("%s: HTTP %d with an inconsistent envelope %.200q", op, resp.StatusCode, raw)), nil
	}
	return l.record(tk, op, outRefused, env.Error.Code, ""), resp.Header
}

// stubErrorTokens are the protocol's clean refusals.
var stubErrorTokens = []string{"NO_KEY", "BAD_KEY", "BAD_ACTION", "BAD_SERVICE", "NO_NUMBERS", "NO_BALANCE",
	"NO_ACTIVATION", "WRONG_ACTIVATION_ID", "BAD_STATUS", "ERROR_SQL", "WRONG_MAX_PRICE", "RATE_LIMIT"}

// stub makes one SMS-Activate call; success is an answer starting with one
// of okPrefixes.
func (l *faultLoad) stub(op, key string, params url.Values, okPrefixes ...string) (string, string) {
	tk := l.begin()
	params.Set("api_key", key)
	resp, err := l.client.Get(l.base + "/stubs/handler_api.php?" + params.Encode())
	if err != nil {
		return l.record(tk, op, transportOutcome(err), err.Error(), ""), ""
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return l.record(tk, op, transportOutcome(err), err.Error(), ""), ""
	}
	body := string(raw)
	for _, p := range okPrefixes {
		if strings.HasPrefix(body, p) && resp.StatusCode == http.StatusOK {
			return l.record(tk, op, outOK, "", ""), body
		}
	}
	token, _, _ := strings.Cut(body, ":")
	if slices.Contains(stubErrorTokens, token) {
		return l.record(tk, op, outRefused, token, ""), body
	}
	return l.record(tk, op, outBad, fmt.Sprintf("HTTP %d", resp.StatusCode),
		fmt.Sprintf("%s: HTTP %d %.200q is neither an answer nor a protocol error", op, resp.StatusCode, body)), body
}

func transportOutcome(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return outHung
	}
	return outUnavailable
}

type smsOrderView struct {
	ID      string `json:"id"`
	ShortID string `json:"short_id"`
	Status  string `json:"status"`
}

func (l *faultLoad) restOrder(rng *rand.Rand, k faultKey) string {
	offer := l.offers[rng.IntN(len(l.offers))]
	header := map[string]string{}
	var idem string
	switch r := rng.IntN(10); {
	case r < 2:
		idem = fmt.Sprintf("sms-%d", l.seq.Add(1))
	case r < 3:
		l.acks.mu.Lock()
		for ki := range l.acks.smsIdem {
			if strings.HasPrefix(ki, strconv.Itoa(k.idx)+"|") {
				idem = strings.TrimPrefix(ki, strconv.Itoa(k.idx)+"|")
				break
			}
		}
		l.acks.mu.Unlock()
	}
	if idem != "" {
		header["Idempotency-Key"] = idem
		offer = l.offers[int(crc32.ChecksumIEEE([]byte(idem)))%len(l.offers)] // a retry repeats its request
	}
	var o smsOrderView
	body := fmt.Sprintf(`{"service_id":%q,"country_id":%s}`, offer[0], offer[1])
	outcome, _ := l.rest("rest_order", "POST", "/api/v1/sms/orders", k.key, body, header, &o)
	if outcome != outOK {
		return outcome
	}
	short, err := strconv.ParseInt(o.ShortID, 10, 64)
	if err != nil || o.ID == "" {
		l.acks.violation("rest_order: 201 without an id: %+v", o)
		return outcome
	}
	if idem != "" {
		ik := strconv.Itoa(k.idx) + "|" + idem
		l.acks.mu.Lock()
		first, seen := l.acks.smsIdem[ik]
		if !seen {
			l.acks.smsIdem[ik] = o.ID
		}
		l.acks.mu.Unlock()
		if seen {
			if first != o.ID {
				l.acks.violation("rest_order: Idempotency-Key %s answered order %s, then %s", idem, first, o.ID)
			}
			return outcome
		}
	}
	l.acks.addOrder(&ackOrder{key: k.idx, id: o.ID, shortID: short, via: "rest"})
	return outcome
}

func (l *faultLoad) stubNumber(rng *rand.Rand, k faultKey) string {
	offer := l.offers[rng.IntN(len(l.offers))]
	outcome, body := l.stub("stub_number", k.key, url.Values{"action": {"getNumber"}, "service": {offer[0]}, "country": {offer[1]}}, "ACCESS_NUMBER:")
	if outcome != outOK {
		return outcome
	}
	parts := strings.Split(body, ":")
	short, err := strconv.ParseInt(parts[1], 10, 64)
	if len(parts) != 3 || err != nil {
		l.acks.violation("stub_number: unreadable %q", body)
		return outcome
	}
	l.acks.addOrder(&ackOrder{key: k.idx, shortID: short, via: "stub"})
	return outcome
}

func (l *faultLoad) restCancel(rng *rand.Rand, k faultKey) string {
	o := l.acks.pick(rng, k.idx, true)
	if o == nil {
		return l.restOrder(rng, k)
	}
	outcome, _ := l.rest("rest_cancel", "DELETE", "/api/v1/sms/orders/"+o.id, k.key, "", nil, nil)
	if outcome == outOK {
		l.acks.mu.Lock()
		l.acks.cancelled[o.shortID] = true
		l.acks.mu.Unlock()
	}
	return outcome
}

func (l *faultLoad) stubCancel(rng *rand.Rand, k faultKey) string {
	o := l.acks.pick(rng, k.idx, false)
	if o == nil {
		return l.stubNumber(rng, k)
	}
	outcome, _ := l.stub("stub_cancel", k.key, url.Values{"action": {"setStatus"}, "status": {"8"}, "id": {strconv.FormatInt(o.shortID, 10)}}, "ACCESS_CANCEL")
	if outcome == outOK {
		l.acks.mu.Lock()
		l.acks.cancelled[o.shortID] = true
		l.acks.mu.Unlock()
	}
	return outcome
}

// smsArrival makes upstream receive an SMS for a random waiting number
// (ours, or an orphan about to be cancelled).
func (l *faultLoad) smsArrival(rng *rand.Rand) string {
	tk := l.begin()
	var waiting []string
	for _, a := range l.sim.Activations() {
		if a.Status == "waiting" || a.Status == "wait_retry" {
			waiting = append(waiting, a.ID)
		}
	}
	if len(waiting) == 0 {
		return outOK // nothing to deliver to: not an operation
	}
	n := l.seq.Add(1)
	text := fmt.Sprintf("Your code is %06d. Do not share it. (fault-%d)", rng.IntN(1_000_000), n)
	if err := l.sim.InjectSMS(waiting[rng.IntN(len(waiting))], text, ""); err != nil {
		return l.record(tk, "sms_arrival", outRefused, "NOT_WAITING", "")
	}
	return l.record(tk, "sms_arrival", outOK, "", "")
}

type accountOrderView struct {
	ID          string   `json:"id"`
	Quantity    int      `json:"quantity"`
	Credentials []string `json:"credentials"`
}

func (l *faultLoad) purchase(rng *rand.Rand, k faultKey) string {
	product := l.products[rng.IntN(len(l.products))]
	qty := 1 + rng.IntN(3)
	header := map[string]string{}
	var idem string
	if rng.IntN(10) < 3 {
		idem = fmt.Sprintf("buy-%d-%d", k.idx, rng.IntN(40)) // a small space: some repeat
		header["Idempotency-Key"] = idem
		qty = 1 + len(idem)%3 // the same key always asks for the same thing
		product = l.products[len(idem)%len(l.products)]
	}
	var o accountOrderView
	outcome, _ := l.rest("account_purchase", "POST", "/api/v1/accounts/orders", k.key,
		fmt.Sprintf(`{"account_id":%s,"quantity":%d}`, product, qty), header, &o)
	if outcome != outOK {
		return outcome
	}
	l.acks.mu.Lock()
	defer l.acks.mu.Unlock()
	if len(o.Credentials) != qty || o.Quantity != qty || o.ID == "" {
		l.acks.violations = append(l.acks.violations, fmt.Sprintf("account_purchase: asked for %d, got order %q with %d credential(s)", qty, o.ID, len(o.Credentials)))
		return outcome
	}
	if idem != "" {
		ik := strconv.Itoa(k.idx) + "|" + idem
		if first, seen := l.acks.buyIdem[ik]; seen && first != o.ID {
			l.acks.violations = append(l.acks.violations, fmt.Sprintf("account_purchase: Idempotency-Key %s answered order %s, then %s", idem, first, o.ID))
		}
		l.acks.buyIdem[ik] = o.ID
	}
	l.acks.purchases[o.ID] = qty
	for _, c := range o.Credentials {
		if other, sold := l.acks.creds[c]; sold && other != o.ID {
			l.acks.violations = append(l.acks.violations, fmt.Sprintf("account_purchase: one credential delivered to orders %s and %s", other, o.ID))
		}
		l.acks.creds[c] = o.ID
	}
	return outcome
}

// topup credits a wallet with `accgen admin topup`; one whose outcome is
// unknown (the database went away) is retried with the same reference,
// which must credit once.
func (l *faultLoad) topup(rng *rand.Rand, k faultKey) string {
	l.acks.mu.Lock()
	var req topupReq
	if n := len(l.acks.retryTopup); n > 0 {
		req = l.acks.retryTopup[n-1]
		l.acks.retryTopup = l.acks.retryTopup[:n-1]
	} else {
		req = topupReq{user: k.userID, amount: fmt.Sprintf("%d.%02d", 1000+rng.IntN(50000), rng.IntN(100)), ref: fmt.Sprintf("faults-%d", l.seq.Add(1))}
	}
	l.acks.mu.Unlock()
	tk := l.begin()
	_, err := l.admin("admin", "topup", "--user", req.user, "--amount", req.amount, "--reference", req.ref)
	if err != nil {
		l.acks.mu.Lock()
		l.acks.retryTopup = append(l.acks.retryTopup, req)
		l.acks.mu.Unlock()
		return l.record(tk, "topup", outRefused, "ERROR", "")
	}
	l.acks.mu.Lock()
	l.acks.topups[req.ref] = req.amount
	l.acks.mu.Unlock()
	return l.record(tk, "topup", outOK, "", "")
}

func (l *faultLoad) read(rng *rand.Rand, k faultKey) string {
	switch rng.IntN(5) {
	case 0:
		out, _ := l.rest("read", "GET", "/api/v1/user/balance", k.key, "", nil, nil)
		return out
	case 1:
		out, _ := l.rest("read", "GET", "/api/v1/sms/orders?limit=5", k.key, "", nil, nil)
		return out
	case 2:
		out, _ := l.rest("read", "GET", "/api/v1/accounts/orders?limit=5", k.key, "", nil, nil)
		return out
	case 3:
		out, _ := l.stub("read", k.key, url.Values{"action": {"getActivations"}, "limit": {"5"}}, "{")
		return out
	default:
		o := l.acks.pick(rng, k.idx, false)
		if o == nil {
			out, _ := l.rest("read", "GET", "/api/v1/user/balance", k.key, "", nil, nil)
			return out
		}
		out, _ := l.stub("read", k.key, url.Values{"action": {"getStatus"}, "id": {strconv.FormatInt(o.shortID, 10)}}, "STATUS_")
		return out
	}
}

// stockImport adds fresh credentials to a product with `accgen admin
// stock import`.
func (l *faultLoad) stockImport(rng *rand.Rand) string {
	tk := l.begin()
	product := l.products[rng.IntN(len(l.products))]
	n := l.seq.Add(1)
	var b bytes.Buffer
	for i := range 40 {
		fmt.Fprintf(&b, "user%d_%d@mail.example:pw-%x\n", n, i, rng.Uint64())
	}
	file := filepath.Join(l.stockDir, fmt.Sprintf("stock-%d.txt", n))
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		panic(err)
	}
	if _, err := l.admin("admin", "stock", "import", "--product", product, "--file", file); err != nil {
		return l.record(tk, "stock_import", outRefused, "ERROR", "")
	}
	return l.record(tk, "stock_import", outOK, "", "")
}
