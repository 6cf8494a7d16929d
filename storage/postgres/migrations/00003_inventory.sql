-- Account inventory: a catalog of products, their stock of operator-supplied
-- credentials, and the orders that buy them.
-- Credentials are stored only as AES-256-GCM ciphertext (sealed in Go with
-- the row's id and product bound as additional data, under the key named by
-- key_id); duplicates are found through a keyed HMAC fingerprint, unique per
-- product. An order is recorded, charged and given its items in one
-- transaction; the items sold to an order are its credentials.

-- +goose Up
CREATE TABLE products (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL CHECK (name <> ''),
    category     TEXT NOT NULL CHECK (category <> ''),
    description  TEXT NOT NULL DEFAULT '',
    price        NUMERIC(18,2) NOT NULL CHECK (price > 0),
    active       BOOLEAN NOT NULL DEFAULT true,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- api_key_id is NULL for orders placed outside the REST API (the bot), whose
-- idempotency keys are scoped to the user instead. ledger_reference points
-- at the order's charge; the check is deferred because the order row is
-- written before the charge, in the same transaction.
CREATE TABLE account_orders (
    id                   UUID PRIMARY KEY,
    seq                  BIGSERIAL NOT NULL UNIQUE, -- insertion order, for stable newest-first lists
    user_id              BIGINT NOT NULL REFERENCES users(id),
    api_key_id           BIGINT REFERENCES api_keys(id),
    product_id           BIGINT NOT NULL REFERENCES products(id),
    product_name         TEXT NOT NULL,
    quantity             INT NOT NULL CHECK (quantity BETWEEN 1 AND 50),
    unit_price           NUMERIC(18,2) NOT NULL CHECK (unit_price > 0),
    total                NUMERIC(18,2) NOT NULL,
    ledger_reference     TEXT NOT NULL UNIQUE
        REFERENCES ledger_transactions(reference) DEFERRABLE INITIALLY DEFERRED,
    idempotency_key      TEXT,
    request_fingerprint  TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT account_orders_total_is_quantity_times_price CHECK (total = unit_price * quantity),
    CONSTRAINT account_orders_idempotency_has_fingerprint CHECK ((idempotency_key IS NULL) = (request_fingerprint IS NULL))
);
CREATE UNIQUE INDEX account_orders_api_idempotency_key ON account_orders (api_key_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND api_key_id IS NOT NULL;
CREATE UNIQUE INDEX account_orders_user_idempotency_key ON account_orders (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND api_key_id IS NULL;
CREATE INDEX account_orders_key_idx ON account_orders (api_key_id, seq DESC);
CREATE INDEX account_orders_user_idx ON account_orders (user_id, seq DESC);

CREATE TABLE stock_items (
    id           BIGSERIAL PRIMARY KEY,
    product_id   BIGINT NOT NULL REFERENCES products(id),
    key_id       TEXT NOT NULL,
    ciphertext   BYTEA NOT NULL,
    fingerprint  BYTEA NOT NULL,
    status       TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'sold')),
    order_id     UUID REFERENCES account_orders(id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    sold_at      TIMESTAMPTZ,
    CONSTRAINT stock_items_fingerprint_key UNIQUE (product_id, fingerprint),
    CONSTRAINT stock_items_sold_to_an_order CHECK ((status = 'sold') = (order_id IS NOT NULL AND sold_at IS NOT NULL))
);
-- Stock counts and purchases (oldest available first, SKIP LOCKED) read this.
CREATE INDEX stock_items_available_idx ON stock_items (product_id, id) WHERE status = 'available';
CREATE INDEX stock_items_order_idx ON stock_items (order_id, id) WHERE order_id IS NOT NULL;

-- +goose Down
DROP TABLE stock_items;
DROP TABLE account_orders;
DROP TABLE products;
