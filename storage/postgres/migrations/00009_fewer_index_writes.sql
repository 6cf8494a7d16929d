-- A placement wrote 26 index entries (pg_waldump of one order): eight for
-- the order row, eight again when its number is recorded (that UPDATE
-- cannot be HOT), four for the charge and six for its entries. Index entries
-- that guarded nothing new go:
--   * seq is drawn from a sequence: unique by construction; it orders lists
--     through the user and key indexes, not its own.
--   * an order's charge reference is derived from its id, so it is unique
--     with the id; a CHECK now holds it to that.
--   * an SMS order has no upstream id until its number is bought, a
--     transaction reverses nothing unless it is a refund: their unique
--     indexes skip the NULLs they mostly held.

-- +goose Up
ALTER TABLE sms_orders DROP CONSTRAINT sms_orders_seq_key;
ALTER TABLE sms_orders DROP CONSTRAINT sms_orders_charge_reference_key;
ALTER TABLE sms_orders ADD CONSTRAINT sms_orders_charge_reference_is_derived CHECK (charge_reference = 'sms:' || id::text);
ALTER TABLE sms_orders DROP CONSTRAINT sms_orders_upstream_id_key;
CREATE UNIQUE INDEX sms_orders_upstream_id_key ON sms_orders (upstream_id) WHERE upstream_id IS NOT NULL;

ALTER TABLE account_orders DROP CONSTRAINT account_orders_seq_key;
ALTER TABLE account_orders DROP CONSTRAINT account_orders_ledger_reference_key;
ALTER TABLE account_orders ADD CONSTRAINT account_orders_ledger_reference_is_derived CHECK (ledger_reference = 'account-order:' || id::text);

ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_reverses_key;
CREATE UNIQUE INDEX ledger_transactions_reverses_key ON ledger_transactions (reverses_id) WHERE reverses_id IS NOT NULL;

-- +goose Down
DROP INDEX ledger_transactions_reverses_key;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_reverses_key UNIQUE (reverses_id);
ALTER TABLE account_orders DROP CONSTRAINT account_orders_ledger_reference_is_derived;
ALTER TABLE account_orders ADD CONSTRAINT account_orders_ledger_reference_key UNIQUE (ledger_reference);
ALTER TABLE account_orders ADD CONSTRAINT account_orders_seq_key UNIQUE (seq);
DROP INDEX sms_orders_upstream_id_key;
ALTER TABLE sms_orders ADD CONSTRAINT sms_orders_upstream_id_key UNIQUE (upstream_id);
ALTER TABLE sms_orders DROP CONSTRAINT sms_orders_charge_reference_is_derived;
ALTER TABLE sms_orders ADD CONSTRAINT sms_orders_charge_reference_key UNIQUE (charge_reference);
ALTER TABLE sms_orders ADD CONSTRAINT sms_orders_seq_key UNIQUE (seq);
