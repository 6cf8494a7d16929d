package core

import "context"

// RecordNumbers exposes the shared recording of bought numbers to the tests.
func (s *SMS) RecordNumbers(ctx context.Context, numbers []IssuedNumber) (orders []SMSOrder, found []bool, errs []error) {
	for _, r := range s.recordNumbers(ctx, numbers) {
		orders, found, errs = append(orders, r.val.order), append(found, r.val.found), append(errs, r.err)
	}
	return orders, found, errs
}
