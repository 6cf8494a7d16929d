package upstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds each call when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxBody bounds a response body. A full getPrices of a large provider is a
// few megabytes; anything bigger is not an answer we want to hold.
const maxBody = 16 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is the full handler URL, e.g.
	// "https://hero-sms.com/stubs/handler_api.php". Query parameters in it
	// are kept and sent with every call.
	BaseURL string
	// APIKey is the provider key, sent as api_key. It never appears in
	// errors or logs.
	APIKey string
	// Timeout bounds each call, DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient sends the requests; a new client with the default
	// transport when nil. Its own Timeout, if any, also applies.
	HTTPClient *http.Client
	// Logger receives one debug line per call; discarded when nil.
	Logger *slog.Logger
}

// Client talks to one SMS-Activate-compatible provider. It is safe for
// concurrent use.
type Client struct {
	base    *url.URL
	key     string
	timeout time.Duration
	http    *http.Client
	logger  *slog.Logger
	red     redactor

	// v1Only is set once the provider answered getNumberV2 with BAD_ACTION
	// or 404, so later purchases go straight to getNumber.
	v1Only atomic.Bool
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("upstream: base url: %w", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("upstream: base url %q: scheme must be http or https", cfg.BaseURL)
	}
	if base.Host == "" {
		return nil, fmt.Errorf("upstream: base url %q: no host", cfg.BaseURL)
	}
	if base.User != nil || base.Fragment != "" {
		return nil, fmt.Errorf("upstream: base url %q: userinfo and fragment are not allowed", cfg.BaseURL)
	}
	if base.Query().Has("api_key") {
		return nil, errors.New("upstream: base url: pass the key in Config.APIKey, not in the url")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("upstream: api key is required")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("upstream: negative timeout %s", cfg.Timeout)
	}
	return &Client{
		base:    base,
		key:     cfg.APIKey,
		timeout: cmp.Or(cfg.Timeout, DefaultTimeout),
		http:    cmp.Or(cfg.HTTPClient, &http.Client{}),
		logger:  cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		red:     newRedactor(cfg.APIKey),
	}, nil
}

// answer is one completed HTTP exchange.
type answer struct {
	action string
	status int
	header http.Header
	body   []byte
}

// call performs one protocol request. It returns a *TransportError when no
// complete answer arrived; any HTTP status is returned as an answer.
func (c *Client) call(ctx context.Context, action string, params url.Values) (answer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	q := c.base.Query()
	for k, vs := range params {
		q[k] = vs
	}
	q.Set("action", action)
	// The safe URL is what errors quote in place of the real one.
	q.Set("api_key", redactedMark)
	safe := *c.base
	safe.RawQuery = q.Encode()
	q.Set("api_key", c.key)
	full := *c.base
	full.RawQuery = q.Encode()

	var sent atomic.Bool
	trace := &httptrace.ClientTrace{
		// Headers written means a GET is complete from the server's point
		// of view; before that nothing it could act on has left.
		WroteHeaders: func() { sent.Store(true) },
	}
	ctx = httptrace.WithClientTrace(ctx, trace)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, full.String(), nil)
	if err != nil {
		return answer{}, &TransportError{Action: action, Err: c.red.wrap(err, safe.String())}
	}
	req.Header.Set("Accept", "text/plain, application/json")

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		terr := &TransportError{Action: action, RequestSent: sent.Load(), Err: c.red.wrap(err, safe.String())}
		c.logger.DebugContext(ctx, "upstream call failed", "action", action,
			"duration", time.Since(start), "error", terr.Error())
		return answer{}, terr
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		// The provider answered, so it certainly got the request.
		return answer{}, &TransportError{Action: action, RequestSent: true,
			Err: c.red.wrap(fmt.Errorf("read body: %w", err), safe.String())}
	}
	c.logger.DebugContext(ctx, "upstream call", "action", action, "status", resp.StatusCode,
		"bytes", len(body), "duration", time.Since(start))
	a := answer{action: action, status: resp.StatusCode, header: resp.Header, body: body}
	if len(body) > maxBody {
		return answer{}, c.protocolError(a, fmt.Errorf("body larger than %d bytes", maxBody))
	}
	return a, nil
}

// protocolError builds the *ProtocolError for an answer we cannot read.
func (c *Client) protocolError(a answer, reason error) error {
	pe := &ProtocolError{Action: a.action, StatusCode: a.status, Snippet: c.red.snippet(a.body)}
	if reason != nil {
		pe.Reason = c.red.text(reason.Error(), 200)
	}
	return pe
}

// do is call followed by checkAnswer: it returns the answer only when it is
// neither a failure nor a protocol error word, ready for the action parser.
func (c *Client) do(ctx context.Context, action string, params url.Values) (answer, error) {
	a, err := c.call(ctx, action, params)
	if err != nil {
		return answer{}, err
	}
	if err := c.checkAnswer(a); err != nil {
		return answer{}, err
	}
	return a, nil
}
