-- System accounts (funding, sales, adjustments) stop caching a balance.
-- Every purchase moved money into the one sales account, so every posting in
-- the shop locked the same row until commit: purchases were serialised on it.
-- Wallets keep their cached, locked, never-negative balance; a system
-- account's balance is the sum of its entries, and its entries carry no
-- running balance.

-- +goose Up
ALTER TABLE ledger_accounts ALTER COLUMN balance DROP NOT NULL, ALTER COLUMN balance DROP DEFAULT;
UPDATE ledger_accounts SET balance = NULL WHERE kind <> 'wallet';
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_balance_cached_for_wallets
    CHECK ((kind = 'wallet') = (balance IS NOT NULL));
ALTER TABLE ledger_entries ALTER COLUMN balance_after DROP NOT NULL;

-- +goose Down
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_balance_cached_for_wallets;
UPDATE ledger_accounts a SET balance = (SELECT COALESCE(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id)
    WHERE kind <> 'wallet';
ALTER TABLE ledger_accounts ALTER COLUMN balance SET DEFAULT 0, ALTER COLUMN balance SET NOT NULL;
