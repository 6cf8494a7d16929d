-- Outgoing webhooks: one endpoint per API key, and a transactional outbox of
-- deliveries. A delivery row is written in the same transaction that records
-- the SMS, so no event is lost if the process dies; workers claim due rows
-- with SKIP LOCKED and a lease, and every attempt is kept for the owner.

-- +goose Up
CREATE TABLE webhook_endpoints (
    api_key_id       BIGINT PRIMARY KEY REFERENCES api_keys(id),
    url              TEXT NOT NULL,
    secret           TEXT NOT NULL,
    enabled          BOOLEAN NOT NULL DEFAULT true,
    disabled_reason  TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,          -- the webhook-id header: the same on every retry, derived from the event
    seq              BIGSERIAL NOT NULL UNIQUE, -- insertion order, for newest-first lists
    api_key_id       BIGINT NOT NULL REFERENCES api_keys(id),
    event            TEXT NOT NULL,
    order_id         UUID,
    payload          BYTEA NOT NULL,            -- the exact bytes signed and sent
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until      TIMESTAMPTZ,
    last_status      INT,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_key_idx ON webhook_deliveries (api_key_id, seq DESC);

CREATE TABLE webhook_attempts (
    id           BIGSERIAL PRIMARY KEY,
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries(id),
    attempt      INT NOT NULL,
    url          TEXT NOT NULL,
    status_code  INT,
    latency_ms   INT NOT NULL,
    error        TEXT,
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (delivery_id, attempt)
);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
