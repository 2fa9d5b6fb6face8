-- Issue 10 (hardening).

-- Token counts are 64-bit: a provider reporting 2^31 tokens or more still leaves a usage row.
-- (Rewrites the table under an ACCESS EXCLUSIVE lock: seconds per million rows.)
ALTER TABLE usage_logs
    ALTER COLUMN tokens_in TYPE bigint,
    ALTER COLUMN tokens_out TYPE bigint,
    ALTER COLUMN tokens_total TYPE bigint;

-- The trigger function again, unchanged: replacing it makes every open session recompile it,
-- so none keeps a plan cached for the old column types ("type of parameter ... does not match").
CREATE OR REPLACE FUNCTION usage_daily_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_daily AS d (user_id, day, key_source, tokens, requests)
    VALUES (NEW.user_id, (NEW."timestamp" AT TIME ZONE 'UTC')::date, NEW.key_source,
            NEW.tokens_total, 1)
    ON CONFLICT (user_id, day, key_source)
    DO UPDATE SET tokens = d.tokens + EXCLUDED.tokens, requests = d.requests + 1;
    RETURN NULL;
END $$;
-- Why a row's counts are not the provider's own: NULL when they are. 'negative' (counted as 0),
-- 'too_large' (clamped), 'unexpected' (not a number, counted as 0), 'unreadable' (the answer
-- itself could not be read: a paid call with unknown counts).
ALTER TABLE usage_logs ADD COLUMN counts_note varchar(20)
    CHECK (counts_note IN ('negative', 'too_large', 'unexpected', 'unreadable'));
-- The interaction a row was paid for: at most one row per interaction, so a usage row written
-- twice (a redelivery, a spooled write replayed) counts once.
ALTER TABLE usage_logs ADD COLUMN interaction_id varchar(20);
CREATE UNIQUE INDEX usage_logs_interaction_idx ON usage_logs (interaction_id)
    WHERE interaction_id IS NOT NULL;

-- The SQS receive that holds a claim: a later receive of the same job takes the claim over at
-- once (SQS only redelivers once the earlier receive is over), instead of waiting out the lease.
ALTER TABLE processed_interactions ADD COLUMN receive_count integer NOT NULL DEFAULT 1;

-- Limits under concurrency: a job reserves its estimated cost before the paid call, in one
-- check-and-reserve statement serialized per user (tzurot.usage.reservations); the write that
-- records its usage deletes the reservation. A reservation left by a killed attempt expires.
CREATE TABLE usage_reservations (
    interaction_id varchar(20) PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_source varchar(10) NOT NULL CHECK (key_source IN ('user', 'guest')),
    tokens bigint NOT NULL CHECK (tokens >= 0),
    images integer NOT NULL DEFAULT 0 CHECK (images >= 0),
    expires_at timestamptz NOT NULL
);
CREATE INDEX usage_reservations_user_idx ON usage_reservations (user_id, expires_at);
