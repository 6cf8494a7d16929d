-- The balance check ran at commit once per entry: twice per transaction,
-- each time summing the same entries. It now runs once per INSERT statement
-- over the transactions that statement wrote to, so the entries of one
-- transaction are written by one statement (the store writes a transaction's
-- entries in the statement that records it). It checks what it did, and
-- what the entries' foreign keys did: each transaction touched exists, sums
-- to zero over at least two entries, and every new entry is on an account
-- that exists. Both parents are permanent (transactions are append-only,
-- accounts since 00007), so checking them without a lock is enough, and each
-- posting no longer runs two foreign-key queries that lock its transaction.
--
-- The function's lookups are index probes: on tables this small the planner
-- prefers a sequential scan, which reads every dead version of the wallets
-- the shop keeps updating.

-- +goose Up
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_transaction_id_fkey;
-- +goose StatementBegin
CREATE FUNCTION ledger_check_entries() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    txn     RECORD;
    total   NUMERIC;
    n       INT;
    account BIGINT;
BEGIN
    FOR txn IN SELECT DISTINCT transaction_id AS id FROM new_entries LOOP
        IF NOT EXISTS (SELECT 1 FROM ledger_transactions WHERE id = txn.id) THEN
            RAISE EXCEPTION 'ledger entries of transaction %, which does not exist', txn.id
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_entries_transaction_id_fkey';
        END IF;
        SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, n FROM ledger_entries WHERE transaction_id = txn.id;
        IF total <> 0 OR n < 2 THEN
            RAISE EXCEPTION 'ledger transaction % is unbalanced (sum %, % entries)', txn.id, total, n
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
        END IF;
    END LOOP;
    SELECT e.account_id INTO account FROM new_entries e
     WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = e.account_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry on account %, which does not exist', account
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_entries_account_id_fkey';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries();

-- +goose Down
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
DROP FUNCTION ledger_check_entries();
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions(id);
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
