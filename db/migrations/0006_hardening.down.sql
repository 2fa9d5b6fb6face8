DROP TABLE usage_reservations;
ALTER TABLE processed_interactions DROP COLUMN receive_count;
DROP INDEX usage_logs_interaction_idx;
ALTER TABLE usage_logs DROP COLUMN interaction_id;
ALTER TABLE usage_logs DROP COLUMN counts_note;
-- Counts beyond 32 bits are clamped to fit the old columns (the only loss going down).
UPDATE usage_logs
SET tokens_in = least(tokens_in, 2147483647),
    tokens_out = least(tokens_out, 2147483647),
    tokens_total = least(tokens_total, 2147483647)
WHERE greatest(tokens_in, tokens_out, tokens_total) > 2147483647;
ALTER TABLE usage_logs
    ALTER COLUMN tokens_in TYPE integer,
    ALTER COLUMN tokens_out TYPE integer,
    ALTER COLUMN tokens_total TYPE integer;

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
