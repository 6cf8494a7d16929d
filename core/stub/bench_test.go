package stub

import (
	"testing"
	"time"

	"accgen/core"
)

// BenchmarkStatusToken measures formatting the hottest answer, getStatus.
func BenchmarkStatusToken(b *testing.B) {
	at := time.Now()
	o := core.SMSOrder{ShortID: 12345678, Status: core.SMSCompleted, Code: "123456", ReceivedAt: &at}
	for b.Loop() {
		_ = "STATUS_OK:" + tokenField(o.Code)
		_ = shortID(o)
	}
}
