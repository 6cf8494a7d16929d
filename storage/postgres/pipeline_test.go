package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
)

// A batch sent again (as a retry does) works on a connection that never
// prepared its statements.
func TestPipelineBatchCanBeSentAgainOnAnotherConnection(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	batch := &pgx.Batch{}
	batch.Queue(`SELECT $1::int + 1`, 41)
	for range 2 {
		var got int
		require.NoError(t, b.db.Pipeline(ctx, batch, func(br pgx.BatchResults) error { return br.QueryRow().Scan(&got) }))
		require.Equal(t, 42, got)
		b.db.Pool().Reset() // every connection closed: the next send uses a new one
	}
}

// A refusal found while reading the results rolls the whole batch back:
// here the second order's user has no wallet, and the first order, though
// its statements succeeded, is not written or charged.
func TestCreateSMSOrdersRefusedWhileReadingWritesNothing(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	a := b.newUser(t, 2001)
	_, err := b.ledger.TopUp(ctx, a.ID, ngn("1000"), "seed", "")
	require.NoError(t, err)
	var walletless int64
	require.NoError(t, b.db.Pool().QueryRow(ctx, `INSERT INTO users (telegram_id) VALUES (2002) RETURNING id`).Scan(&walletless))

	newOrder := func(userID int64, id string, short int64) core.NewSMSOrder {
		o := core.SMSOrder{ID: id, ShortID: short, UserID: userID, Source: core.SourceAPI, ServiceID: "wa", ServiceName: "WhatsApp",
			CountryID: 187, CountryName: "USA", Price: ngn("100"), Status: core.SMSPlacing, ChargeReference: "sms:" + id}
		charge, err := b.ledger.PurchasePosting(userID, o.Price, o.ChargeReference, "")
		require.NoError(t, err)
		return core.NewSMSOrder{Order: o, Charge: charge}
	}
	err = b.db.CreateSMSOrders(ctx, []core.NewSMSOrder{
		newOrder(a.ID, "11111111-0000-4000-8000-000000000001", 11111111),
		newOrder(walletless, "22222222-0000-4000-8000-000000000002", 22222222),
	})
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err), "%v", err)
	var orders int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM sms_orders`).Scan(&orders))
	require.Zero(t, orders)
	bal, err := b.ledger.Balance(ctx, a.ID)
	require.NoError(t, err)
	require.True(t, bal.Equal(decimal.RequireFromString("1000")), "balance %s", bal)
	var txs int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT count(*) FROM ledger_transactions`).Scan(&txs))
	require.Equal(t, 1, txs, "only the top-up: neither charge was recorded")
}
