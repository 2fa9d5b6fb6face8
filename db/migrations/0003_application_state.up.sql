-- What the application needs beyond the proposal: master keys, per-user config overrides,
-- conversation history, idempotency records and a per-day usage aggregate for fast quota checks.

-- App master keys, each wrapped by KMS (the plaintext exists only in worker memory).
-- status: 'active' (encrypts new keys), 'previous' (still decrypts while a rotation runs),
-- 'retired' (nothing is encrypted under it any more).
CREATE TABLE app_master_keys (
    version integer PRIMARY KEY CHECK (version > 0),
    wrapped_key bytea NOT NULL,
    kms_key_id text NOT NULL,
    status varchar(10) NOT NULL CHECK (status IN ('active', 'previous', 'retired')),
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);
CREATE UNIQUE INDEX app_master_keys_one_active ON app_master_keys (status) WHERE status = 'active';

-- A user's own settings: for one personality, or (personality_id NULL) their default for all.
-- NULL columns inherit from the layer below (personality config <- user default <- override).
CREATE TABLE user_config_overrides (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personality_id uuid REFERENCES personalities (id) ON DELETE CASCADE,
    provider varchar(20) CHECK (provider IN ('openai', 'anthropic', 'google', 'openrouter')),
    model varchar(100),
    temperature numeric(3, 2) CHECK (temperature BETWEEN 0 AND 2),
    top_p numeric(4, 3) CHECK (top_p BETWEEN 0 AND 1),
    max_tokens integer CHECK (max_tokens > 0),
    advanced_parameters jsonb CHECK (jsonb_typeof(advanced_parameters) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (user_id, personality_id)
);

-- Conversation history per (channel, personality).
CREATE TABLE conversation_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id varchar(20) NOT NULL,
    personality_id uuid NOT NULL REFERENCES personalities (id) ON DELETE CASCADE,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    role varchar(10) NOT NULL CHECK (role IN ('user', 'assistant')),
    content text NOT NULL,
    interaction_id varchar(20),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_messages_recent_idx
    ON conversation_messages (channel_id, personality_id, id DESC);

-- One row per Discord interaction a worker has taken on: SQS delivers at least once.
CREATE TABLE processed_interactions (
    interaction_id varchar(20) PRIMARY KEY,
    job_kind varchar(20) NOT NULL,
    status varchar(12) NOT NULL CHECK (status IN ('processing', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 1,
    reference varchar(16),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_interactions_created_idx ON processed_interactions (created_at);

-- Guest calls are paid with the operator's key and have their own, tighter quota.
ALTER TABLE usage_logs ADD COLUMN key_source varchar(10) NOT NULL DEFAULT 'user'
    CHECK (key_source IN ('user', 'guest'));

-- Tokens per user per UTC day, kept by a trigger so a quota check reads one row, not a scan.
CREATE TABLE usage_daily (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day date NOT NULL,
    key_source varchar(10) NOT NULL,
    tokens bigint NOT NULL DEFAULT 0,
    requests integer NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day, key_source)
);

CREATE FUNCTION usage_daily_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_daily AS d (user_id, day, key_source, tokens, requests)
    VALUES (NEW.user_id, (NEW."timestamp" AT TIME ZONE 'UTC')::date, NEW.key_source,
            NEW.tokens_total, 1)
    ON CONFLICT (user_id, day, key_source)
    DO UPDATE SET tokens = d.tokens + EXCLUDED.tokens, requests = d.requests + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER usage_logs_daily
    AFTER INSERT ON usage_logs
    FOR EACH ROW EXECUTE FUNCTION usage_daily_add();
