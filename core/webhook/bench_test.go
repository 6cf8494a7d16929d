package webhook_test

import (
	"testing"
	"time"

	"accgen/core/webhook"
)

func BenchmarkSign(b *testing.B) {
	body := []byte(`{"event":"sms.received","order_id":"12345678-0000-4000-8000-000000000001","phone_number":"+14155552671","sms_code":"123456","full_sms_text":"Your verification code is 123456. Do not share it.","received_at":"2026-03-06T14:05:00.000Z"}`)
	ts := time.Unix(1772805900, 0)
	for b.Loop() {
		if _, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body); err != nil {
			b.Fatal(err)
		}
	}
}
