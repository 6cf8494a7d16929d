package webhook

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// blocked are address ranges a webhook may never reach: our own host and
// network, cloud metadata, and addresses that are not unicast on the public
// internet. IPv4-mapped IPv6 addresses are unmapped before the check.
var blocked = mustPrefixes(
	"0.0.0.0/8",         // "this" network, unspecified
	"10.0.0.0/8",        // private
	"100.64.0.0/10",     // carrier-grade NAT
	"127.0.0.0/8",       // loopback
	"169.254.0.0/16",    // link-local, incl. 169.254.169.254 metadata
	"172.16.0.0/12",     // private
	"192.0.0.0/24",      // IETF protocol assignments
	"192.0.2.0/24",      // TEST-NET-1
	"192.88.99.0/24",    // 6to4 relay anycast
	"192.168.0.0/16",    // private
	"198.18.0.0/15",     // benchmarking
	"198.51.100.0/24",   // TEST-NET-2
	"203.0.113.0/24",    // TEST-NET-3
	"224.0.0.0/4",       // multicast
	"240.0.0.0/4",       // reserved, incl. broadcast
	"::/128",            // unspecified
	"::1/128",           // loopback
	"64:ff9b::/96",      // NAT64 (reaches IPv4 space)
	"64:ff9b:1::/48",    // local-use NAT64
	"100::/64",          // discard
	"2001:db8::/32",     // documentation
	"2002::/16",         // 6to4 (embeds IPv4)
	"fc00::/7",          // unique local
	"fe80::/10",         // link-local
	"ff00::/8",          // multicast
	"fd00:ec2::254/128", // AWS IPv6 metadata (inside fc00::/7, named for clarity)
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// CheckAddr decides whether a webhook may connect to addr, returning why not.
func CheckAddr(addr netip.Addr) error {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return fmt.Errorf("invalid address")
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return fmt.Errorf("address %s is in the blocked range %s", addr, p)
		}
	}
	if !addr.IsGlobalUnicast() {
		return fmt.Errorf("address %s is not a public unicast address", addr)
	}
	return nil
}

// ErrBlocked wraps every refusal of the guard.
type ErrBlocked struct{ Reason error }

func (e *ErrBlocked) Error() string { return "webhook destination refused: " + e.Reason.Error() }
func (e *ErrBlocked) Unwrap() error { return e.Reason }

// control runs after name resolution and before the TCP handshake, on every
// connection attempt, so a name that resolves (or rebinds) to a private
// address is refused before any packet leaves for it.
func control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &ErrBlocked{Reason: fmt.Errorf("unparsable address %q", address)}
	}
	if err := CheckAddr(ap.Addr()); err != nil {
		return &ErrBlocked{Reason: err}
	}
	return nil
}

// Dialer returns the dialer webhooks connect with; with allowPrivate the
// guard is off (tests and local demos only).
func Dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.ControlContext = control
	}
	return d
}

// NewClient returns the HTTP client deliveries use: guarded dialer, no proxy
// (a proxy would dial for us, past the guard), redirects not followed (a 3xx
// is a failed attempt), and a bound on the whole exchange.
func NewClient(allowPrivate bool, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           Dialer(allowPrivate).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
