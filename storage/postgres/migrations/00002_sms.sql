-- SMS verification orders: numbers bought upstream and resold in NGN.
-- An order is charged in the same transaction that creates it (status
-- 'placing'), then gets its number from upstream ('pending'); every later
-- transition is a guarded UPDATE so concurrent cancel, SMS arrival and expiry
-- resolve to exactly one outcome and at most one refund.

-- +goose Up
CREATE TABLE sms_orders (
    id                   UUID PRIMARY KEY,
    seq                  BIGSERIAL NOT NULL UNIQUE, -- insertion order, for stable newest-first lists
    short_id             BIGINT NOT NULL UNIQUE CHECK (short_id BETWEEN 10000000 AND 99999999),
    user_id              BIGINT NOT NULL REFERENCES users(id),
    api_key_id           BIGINT REFERENCES api_keys(id),
    source               TEXT NOT NULL CHECK (source IN ('api', 'stub', 'bot')),
    service_id           TEXT NOT NULL,
    service_name         TEXT NOT NULL,
    country_id           INT NOT NULL,
    country_name         TEXT NOT NULL,
    price_ngn            NUMERIC(18,2) NOT NULL CHECK (price_ngn > 0),
    upstream_cost        NUMERIC(18,4),
    status               TEXT NOT NULL CHECK (status IN ('placing', 'pending', 'completed', 'cancelled', 'expired', 'failed')),
    charge_reference     TEXT NOT NULL UNIQUE,
    upstream_id          TEXT UNIQUE,
    phone                TEXT,
    sms_code             TEXT,
    sms_text             TEXT,
    awaiting_another     BOOLEAN NOT NULL DEFAULT false,
    failure_reason       TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at           TIMESTAMPTZ,
    received_at          TIMESTAMPTZ,
    finished_at          TIMESTAMPTZ,
    closed_at            TIMESTAMPTZ,
    upstream_cancel_due  TIMESTAMPTZ,
    idempotency_key      TEXT,
    request_fingerprint  TEXT,
    telegram_chat_id     BIGINT,
    CONSTRAINT sms_orders_number_when_issued CHECK (status IN ('placing', 'failed') OR (upstream_id IS NOT NULL AND phone IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE UNIQUE INDEX sms_orders_idempotency_key ON sms_orders (api_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX sms_orders_user_idx ON sms_orders (user_id, seq DESC);
CREATE INDEX sms_orders_key_idx ON sms_orders (api_key_id, seq DESC);
CREATE INDEX sms_orders_live_idx ON sms_orders (expires_at) WHERE status IN ('placing', 'pending');
CREATE INDEX sms_orders_cancel_due_idx ON sms_orders (upstream_cancel_due) WHERE upstream_cancel_due IS NOT NULL;

-- Every SMS received for an order, in arrival order (another SMS keeps the
-- earlier ones).
CREATE TABLE sms_messages (
    id           BIGSERIAL PRIMARY KEY,
    order_id     UUID NOT NULL REFERENCES sms_orders(id),
    seq          INT NOT NULL,
    code         TEXT NOT NULL,
    text         TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, seq)
);

-- Activations found upstream that no order owns (a crash or timeout between
-- buying and recording); the sweeper cancels them once they stay unowned.
CREATE TABLE upstream_orphans (
    upstream_id    TEXT PRIMARY KEY,
    first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at   TIMESTAMPTZ,
    attempts       INT NOT NULL DEFAULT 0,
    last_error     TEXT
);

-- Operator price overrides: a country-specific row beats a service-wide one
-- (country_id NULL), which beats the computed price.
CREATE TABLE sms_price_overrides (
    service_id  TEXT NOT NULL,
    country_id  INT,
    price_ngn   NUMERIC(18,2) NOT NULL CHECK (price_ngn > 0),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sms_price_overrides_key ON sms_price_overrides (service_id, COALESCE(country_id, -1));

-- +goose Down
DROP TABLE sms_price_overrides;
DROP TABLE upstream_orphans;
DROP TABLE sms_messages;
DROP TABLE sms_orders;
