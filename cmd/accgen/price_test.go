package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/storage/postgres"
	"accgen/storage/postgres/pgtest"
)

func TestAdminPriceOverrides(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	getenv := env(dbURL)

	out, err := accgen(t, getenv, "admin", "price", "set", "--service", "wa", "--country", "187", "--price", "1500")
	require.NoError(t, err)
	require.Equal(t, "1500.00", out)
	_, err = accgen(t, getenv, "admin", "price", "set", "--service", "wa", "--price", "1200")
	require.NoError(t, err)
	_, err = accgen(t, getenv, "admin", "price", "set", "--service", "wa", "--price", "1250.5")
	require.NoError(t, err, "setting again replaces the price")

	db, err := postgres.Open(context.Background(), dbURL, nil)
	require.NoError(t, err)
	defer db.Close()
	overrides, err := db.ListPriceOverrides(context.Background())
	require.NoError(t, err)
	require.Len(t, overrides, 2)
	require.Nil(t, overrides[0].CountryID)
	require.Equal(t, "1250.5", overrides[0].Price.String())
	require.Equal(t, 187, *overrides[1].CountryID)

	_, err = accgen(t, getenv, "admin", "price", "clear", "--service", "wa", "--country", "187")
	require.NoError(t, err)
	_, err = accgen(t, getenv, "admin", "price", "clear", "--service", "wa", "--country", "187")
	require.Error(t, err, "nothing left to clear")
	for _, args := range [][]string{
		{"admin", "price", "set", "--service", "WA!", "--price", "5"},
		{"admin", "price", "set", "--service", "wa", "--price", "-5"},
		{"admin", "price", "set", "--service", "wa"},
	} {
		_, err := accgen(t, getenv, args...)
		require.Equal(t, 2, exitCode(err), args)
	}
}
