-- Telegram storefront. Users gain what the bot needs to talk to them later:
-- Telegram's language (spoken until the user picks one) and whether they
-- blocked the bot. Bot SMS orders have no API key, so their idempotency keys
-- (which embed the chat id) get their own unique index. bot_outbox is the
-- durable queue of messages the bot must deliver (codes, expiries, top-ups,
-- refunds, broadcast messages): rows are written in the transaction that
-- causes them and claimed by workers with SKIP LOCKED and a lease, so a
-- restart resumes where it stopped. A broadcast is one bot_broadcasts row
-- and one outbox row per recipient, so its progress is a count of states.

-- +goose Up
ALTER TABLE users ADD COLUMN telegram_language TEXT, ADD COLUMN blocked_at TIMESTAMPTZ;
CREATE INDEX users_username_lower_idx ON users (lower(username)) WHERE username IS NOT NULL;

CREATE UNIQUE INDEX sms_orders_bot_idempotency_key ON sms_orders (idempotency_key)
    WHERE idempotency_key IS NOT NULL AND api_key_id IS NULL;

CREATE TABLE bot_broadcasts (
    id                   BIGSERIAL PRIMARY KEY,
    reference            TEXT NOT NULL UNIQUE,
    admin_chat_id        BIGINT NOT NULL,
    progress_message_id  INT,
    text                 TEXT NOT NULL CHECK (text <> ''),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at          TIMESTAMPTZ
);

CREATE TABLE bot_outbox (
    id               BIGSERIAL PRIMARY KEY,
    dedupe_key       TEXT UNIQUE,
    user_id          BIGINT REFERENCES users(id),
    chat_id          BIGINT NOT NULL,
    kind             TEXT NOT NULL,
    payload          JSONB NOT NULL DEFAULT '{}',
    broadcast_id     BIGINT REFERENCES bot_broadcasts(id),
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'blocked', 'failed')),
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until      TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ,
    CONSTRAINT bot_outbox_one_per_recipient UNIQUE (broadcast_id, user_id)
);
-- Customer notifications and broadcasts are claimed by separate workers, so
-- a long broadcast never delays a code.
CREATE INDEX bot_outbox_due_idx ON bot_outbox (next_attempt_at, id)
    WHERE state = 'pending' AND broadcast_id IS NULL;
CREATE INDEX bot_outbox_broadcast_due_idx ON bot_outbox (broadcast_id, id)
    WHERE state = 'pending' AND broadcast_id IS NOT NULL;

-- +goose Down
DROP TABLE bot_outbox;
DROP TABLE bot_broadcasts;
DROP INDEX sms_orders_bot_idempotency_key;
DROP INDEX users_username_lower_idx;
ALTER TABLE users DROP COLUMN blocked_at, DROP COLUMN telegram_language;
