-- Foundation: users, API keys and the NGN double-entry ledger.
-- Money is NUMERIC(18,2) (kobo precision). The journal is append-only; every
-- transaction's entries sum to zero (checked at commit by a deferred trigger);
-- balances are cached on accounts and may never go negative except on the
-- external funding account, which mirrors money that came from outside.

-- +goose Up
CREATE TABLE users (
    id           BIGSERIAL PRIMARY KEY,
    telegram_id  BIGINT NOT NULL UNIQUE,
    username     TEXT,
    language     TEXT,
    referrer     TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL DEFAULT '',
    prefix        TEXT NOT NULL,
    hash          BYTEA NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

-- kind: wallet (one per user), or a system account (funding, sales, adjustments).
CREATE TABLE ledger_accounts (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('wallet', 'funding', 'sales', 'adjustments')),
    user_id     BIGINT UNIQUE REFERENCES users(id),
    balance     NUMERIC(18,2) NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ledger_accounts_balance_nonnegative CHECK (kind = 'funding' OR balance >= 0),
    CONSTRAINT ledger_accounts_wallet_has_user CHECK ((kind = 'wallet') = (user_id IS NOT NULL))
);

INSERT INTO ledger_accounts (code, kind) VALUES
    ('system:funding', 'funding'),
    ('system:sales', 'sales'),
    ('system:adjustments', 'adjustments');

-- reverses_id is UNIQUE: a transaction can be reversed (refunded) at most once.
CREATE TABLE ledger_transactions (
    id           BIGSERIAL PRIMARY KEY,
    reference    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('topup', 'purchase', 'refund', 'deduct')),
    user_id      BIGINT NOT NULL REFERENCES users(id),
    amount       NUMERIC(18,2) NOT NULL CHECK (amount > 0),
    reverses_id  BIGINT REFERENCES ledger_transactions(id),
    memo         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ledger_transactions_reference_key UNIQUE (reference),
    CONSTRAINT ledger_transactions_reverses_key UNIQUE (reverses_id),
    CONSTRAINT ledger_transactions_refund_links CHECK ((kind = 'refund') = (reverses_id IS NOT NULL))
);
CREATE INDEX ledger_transactions_user_idx ON ledger_transactions (user_id, id DESC);

CREATE TABLE ledger_entries (
    id              BIGSERIAL PRIMARY KEY,
    transaction_id  BIGINT NOT NULL REFERENCES ledger_transactions(id),
    account_id      BIGINT NOT NULL REFERENCES ledger_accounts(id),
    amount          NUMERIC(18,2) NOT NULL CHECK (amount <> 0),
    balance_after   NUMERIC(18,2) NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id, id);

-- The journal is append-only: corrections are reversing transactions.
-- +goose StatementBegin
CREATE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger history is append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();

-- Every transaction balances, checked at commit so its entries can be inserted one by one.
-- +goose StatementBegin
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total NUMERIC;
    n     INT;
BEGIN
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, n
      FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 OR n < 2 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced (sum %, % entries)', NEW.transaction_id, total, n
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- +goose Down
DROP TABLE ledger_entries;
DROP TABLE ledger_transactions;
DROP TABLE ledger_accounts;
DROP FUNCTION ledger_check_balanced();
DROP FUNCTION ledger_forbid_change();
DROP TABLE api_keys;
DROP TABLE users;
