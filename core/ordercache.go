package core

import (
	"sync"
	"time"
)

// orderCache remembers orders read by short id for a moment. SMS-Activate
// clients poll getStatus every few seconds for every live number, and a
// status at most orderCacheTTL old serves them as well as a fresh one. Every
// change this instance makes to an order evicts it at once, so a client sees
// its own cancel or finish immediately; changes made by another instance
// (the poller recording a code) show within orderCacheTTL.
type orderCache struct {
	mu sync.Mutex
	m  map[int64]cachedOrder
}

type cachedOrder struct {
	order   SMSOrder
	expires time.Time
}

const (
	orderCacheTTL  = time.Second
	orderCacheSize = 100_000
)

func (c *orderCache) get(shortID int64) (SMSOrder, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[shortID]
	if !ok || time.Now().After(e.expires) {
		return SMSOrder{}, false
	}
	return e.order, true
}

func (c *orderCache) put(o SMSOrder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= orderCacheSize {
		c.m = map[int64]cachedOrder{}
	}
	c.m[o.ShortID] = cachedOrder{order: o, expires: time.Now().Add(orderCacheTTL)}
}

func (c *orderCache) evict(shortID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, shortID)
}
