package core

import (
	"cmp"
	"slices"
)

func sortBy[T any, K cmp.Ordered](s []T, key func(T) K) {
	slices.SortStableFunc(s, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
}

// sortOffers orders offers cheapest first, then by country id.
func sortOffers(offers []Offer) {
	slices.SortStableFunc(offers, func(a, b Offer) int {
		if c := a.Price.Cmp(b.Price); c != 0 {
			return c
		}
		return cmp.Compare(a.Country.ID, b.Country.ID)
	})
}
