-- The balance check ran at commit once per entry: twice per transaction,
-- each time summing the same entries. It now runs once per INSERT statement
-- over the transactions that statement wrote to, so the entries of one
-- transaction are written by one statement (the store writes a transaction's
-- entries in the statement that records it). The check is the same: every
-- transaction touched sums to zero over at least two entries, each on an
-- account that exists.

-- +goose Up
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
-- +goose StatementBegin
CREATE FUNCTION ledger_check_balanced_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad RECORD;
BEGIN
    SELECT e.transaction_id, SUM(e.amount) AS total, COUNT(*) AS n, COUNT(*) FILTER (WHERE a.id IS NULL) AS unknown
      INTO bad
      FROM ledger_entries e LEFT JOIN ledger_accounts a ON a.id = e.account_id
     WHERE e.transaction_id IN (SELECT DISTINCT transaction_id FROM new_entries)
     GROUP BY e.transaction_id
    HAVING SUM(e.amount) <> 0 OR COUNT(*) < 2 OR COUNT(*) FILTER (WHERE a.id IS NULL) > 0
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF bad.unknown > 0 THEN
        RAISE EXCEPTION 'ledger transaction % has % entries on no account', bad.transaction_id, bad.unknown
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ledger_entries_account_id_fkey';
    END IF;
    RAISE EXCEPTION 'ledger transaction % is unbalanced (sum %, % entries)', bad.transaction_id, bad.total, bad.n
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_balanced_statement();

-- +goose Down
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
DROP FUNCTION ledger_check_balanced_statement();
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
