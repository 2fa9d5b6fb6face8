-- The schema-improvements proposal: new columns and tables, and the data migration out of the
-- legacy JSON columns (DATA.md). Fails with a message naming the offending personality, leaving
-- the database unchanged (the runner wraps this file in one transaction).

-- ---------------------------------------------------------------------------------------------
-- users: timezone (IANA name, validated by the application with zoneinfo)
ALTER TABLE users ADD COLUMN timezone varchar(64) NOT NULL DEFAULT 'UTC';

-- ---------------------------------------------------------------------------------------------
-- personalities: error message and birthday. A birthday without a year keeps its month and day:
-- birthday (date) is set only when the year is known; birthday_month/day are set whenever any
-- birthday is known.
ALTER TABLE personalities
    ADD COLUMN error_message text,
    ADD COLUMN birthday date,
    ADD COLUMN birthday_month smallint,
    ADD COLUMN birthday_day smallint,
    ADD CONSTRAINT personalities_birthday_parts CHECK (
        (birthday IS NULL AND birthday_month IS NULL AND birthday_day IS NULL)
        OR (
            -- IS NOT NULL first: a NULL part would make the whole check NULL, which passes
            birthday_month IS NOT NULL AND birthday_day IS NOT NULL
            AND birthday_month BETWEEN 1 AND 12
            AND birthday_day BETWEEN 1 AND 31
            -- days in the month of a leap year (02-29 is a valid yearless birthday); written
            -- without make_date so that a bad day is a check violation, not a raised error
            AND birthday_day <= CASE WHEN birthday_month = 2 THEN 29
                                     WHEN birthday_month IN (4, 6, 9, 11) THEN 30
                                     ELSE 31 END
            AND (
                birthday IS NULL
                OR (extract(month FROM birthday) = birthday_month
                    AND extract(day FROM birthday) = birthday_day)
            )
        )
    );

CREATE INDEX personalities_name_lower_idx ON personalities (lower(name));
CREATE INDEX personalities_slug_lower_idx ON personalities (lower(slug));

DO $$
DECLARE
    r record;
    parsed date;
BEGIN
    -- A JSON null birthday stays in custom_fields (it moves nowhere and comes back as it was);
    -- any other non-string would be silently left behind, so it is refused.
    FOR r IN
        SELECT name, custom_fields -> 'birthday' AS value
        FROM personalities
        WHERE jsonb_typeof(custom_fields -> 'birthday') NOT IN ('string', 'null')
        ORDER BY name
        LIMIT 1
    LOOP
        RAISE EXCEPTION 'personality "%" has birthday %, which is neither YYYY-MM-DD nor MM-DD',
            r.name, r.value;
    END LOOP;

    FOR r IN
        SELECT id, name, custom_fields ->> 'birthday' AS value
        FROM personalities
        WHERE jsonb_typeof(custom_fields -> 'birthday') = 'string'
        ORDER BY name
    LOOP
        BEGIN
            IF r.value ~ '^\d{4}-\d{2}-\d{2}$' THEN
                parsed := r.value::date;
                UPDATE personalities
                SET birthday = parsed,
                    birthday_month = extract(month FROM parsed),
                    birthday_day = extract(day FROM parsed)
                WHERE id = r.id;
            ELSIF r.value ~ '^\d{2}-\d{2}$' THEN
                parsed := make_date(2000, split_part(r.value, '-', 1)::int,
                                    split_part(r.value, '-', 2)::int);
                UPDATE personalities
                SET birthday_month = extract(month FROM parsed),
                    birthday_day = extract(day FROM parsed)
                WHERE id = r.id;
            ELSE
                RAISE EXCEPTION 'bad format';
            END IF;
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION 'personality "%" has birthday "%", which is neither YYYY-MM-DD nor MM-DD',
                r.name, r.value;
        END;
    END LOOP;
END $$;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT name, custom_fields -> 'errorMessage' AS value
        FROM personalities
        WHERE jsonb_typeof(custom_fields -> 'errorMessage') NOT IN ('string', 'null')
        ORDER BY name
        LIMIT 1
    LOOP
        RAISE EXCEPTION 'personality "%" has errorMessage %, which is not a string', r.name, r.value;
    END LOOP;
END $$;

UPDATE personalities
SET error_message = custom_fields ->> 'errorMessage'
WHERE jsonb_typeof(custom_fields -> 'errorMessage') = 'string';

-- ---------------------------------------------------------------------------------------------
-- personality_aliases: unique case-insensitively, never another personality's name or slug.
CREATE TABLE personality_aliases (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alias varchar(50) NOT NULL CHECK (btrim(alias) <> ''),
    personality_id uuid NOT NULL REFERENCES personalities (id) ON DELETE CASCADE,
    -- the order the aliases were listed in (kept so a rollback restores the same JSON array)
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX personality_aliases_alias_lower_key ON personality_aliases (lower(alias));
CREATE INDEX personality_aliases_personality_idx ON personality_aliases (personality_id);

CREATE FUNCTION personality_alias_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    other_name text;
BEGIN
    SELECT p.name INTO other_name
    FROM personalities p
    WHERE p.id <> NEW.personality_id
      AND (lower(p.name) = lower(NEW.alias) OR lower(p.slug) = lower(NEW.alias))
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'alias "%" is the name or slug of personality "%"', NEW.alias, other_name
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER personality_aliases_guard
    BEFORE INSERT OR UPDATE OF alias, personality_id ON personality_aliases
    FOR EACH ROW EXECUTE FUNCTION personality_alias_guard();

CREATE FUNCTION personality_name_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hit record;
BEGIN
    SELECT a.alias, p.name INTO hit
    FROM personality_aliases a
    JOIN personalities p ON p.id = a.personality_id
    WHERE a.personality_id <> NEW.id
      AND lower(a.alias) IN (lower(NEW.name), lower(NEW.slug))
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'name or slug "%" is already an alias of personality "%"', hit.alias, hit.name
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER personalities_name_guard
    BEFORE INSERT OR UPDATE OF name, slug ON personalities
    FOR EACH ROW EXECUTE FUNCTION personality_name_guard();

-- Every listed alias with its place in the list; the checks and the insert below read this.
-- The CASE keeps jsonb_array_elements away from non-arrays whatever the plan.
CREATE TEMP TABLE legacy_aliases AS
SELECT p.id AS personality_id, p.name, e.value, e.value #>> '{}' AS alias, e.ord
FROM personalities p
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(p.custom_fields -> 'aliases') = 'array'
         THEN p.custom_fields -> 'aliases' END
) WITH ORDINALITY AS e(value, ord);

DO $$
DECLARE
    r record;
BEGIN
    -- A JSON null stays in custom_fields; any other non-list would be silently left behind.
    FOR r IN
        SELECT name, custom_fields -> 'aliases' AS value
        FROM personalities
        WHERE jsonb_typeof(custom_fields -> 'aliases') NOT IN ('array', 'null')
        ORDER BY name
        LIMIT 1
    LOOP
        RAISE EXCEPTION 'personality "%" has aliases %, which is not a list', r.name, r.value;
    END LOOP;

    FOR r IN
        SELECT name, value
        FROM legacy_aliases
        WHERE jsonb_typeof(value) <> 'string' OR length(alias) > 50 OR btrim(alias) = ''
        ORDER BY name, ord
        LIMIT 1
    LOOP
        RAISE EXCEPTION 'personality "%" has alias %, which is not a non-empty string of at most 50 characters',
            r.name, r.value;
    END LOOP;

    FOR r IN
        SELECT a.alias, a.name AS first_name, b.name AS second_name
        FROM legacy_aliases a
        JOIN legacy_aliases b
          ON lower(a.alias) = lower(b.alias) AND a.personality_id < b.personality_id
        ORDER BY lower(a.alias)
        LIMIT 1
    LOOP
        RAISE EXCEPTION 'duplicate alias "%": listed by personalities "%" and "%"',
            r.alias, r.first_name, r.second_name;
    END LOOP;

    FOR r IN
        SELECT name, lower(alias) AS alias
        FROM legacy_aliases
        GROUP BY personality_id, name, lower(alias)
        HAVING count(*) > 1
        ORDER BY name
        LIMIT 1
    LOOP
        RAISE EXCEPTION 'personality "%" lists alias "%" more than once', r.name, r.alias;
    END LOOP;

    -- The alias trigger would refuse these too, but naming only one of the two personalities.
    FOR r IN
        SELECT a.alias, a.name AS owner, o.name AS other
        FROM legacy_aliases a
        JOIN personalities o
          ON o.id <> a.personality_id AND lower(a.alias) IN (lower(o.name), lower(o.slug))
        ORDER BY a.name, a.ord
        LIMIT 1
    LOOP
        RAISE EXCEPTION 'alias "%" of personality "%" is the name or slug of personality "%"',
            r.alias, r.owner, r.other;
    END LOOP;
END $$;

INSERT INTO personality_aliases (alias, personality_id, position)
SELECT alias, personality_id, ord - 1
FROM legacy_aliases;

DROP TABLE legacy_aliases;

-- Keys that moved out of custom_fields leave it; everything else stays.
UPDATE personalities
SET custom_fields = custom_fields
    - (CASE WHEN jsonb_typeof(custom_fields -> 'aliases') = 'array'
                 AND jsonb_array_length(custom_fields -> 'aliases') > 0
            THEN 'aliases' ELSE '' END)
    - (CASE WHEN jsonb_typeof(custom_fields -> 'errorMessage') = 'string'
            THEN 'errorMessage' ELSE '' END)
    - (CASE WHEN jsonb_typeof(custom_fields -> 'birthday') = 'string'
            THEN 'birthday' ELSE '' END)
-- only objects: on an array `- ''` would delete "" elements, on a scalar it raises
WHERE jsonb_typeof(custom_fields) = 'object';

-- ---------------------------------------------------------------------------------------------
-- voice_configs (ElevenLabs), one per personality; replaces voice_enabled and voice_settings.
CREATE TABLE voice_configs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    personality_id uuid NOT NULL UNIQUE REFERENCES personalities (id) ON DELETE CASCADE,
    enabled boolean NOT NULL DEFAULT false,
    -- NULL only for a legacy personality that had voice switched on but no voice chosen
    voice_id varchar(100),
    voice_model varchar(50) NOT NULL DEFAULT 'eleven_flash_v2_5',
    stability numeric(3, 2) NOT NULL DEFAULT 0.50 CHECK (stability BETWEEN 0 AND 1),
    similarity numeric(3, 2) NOT NULL DEFAULT 0.75 CHECK (similarity BETWEEN 0 AND 1),
    style numeric(3, 2) NOT NULL DEFAULT 0.00 CHECK (style BETWEEN 0 AND 1),
    frequency numeric(3, 2) NOT NULL DEFAULT 0.00 CHECK (frequency BETWEEN 0 AND 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE
    r record;
BEGIN
    -- JSON null is accepted (a rollback writes SQL NULL); other non-objects would be lost.
    FOR r IN
        SELECT name, voice_settings AS value
        FROM personalities
        WHERE jsonb_typeof(voice_settings) NOT IN ('object', 'null')
        ORDER BY name
        LIMIT 1
    LOOP
        RAISE EXCEPTION 'personality "%" has voice_settings %, which is not a JSON object',
            r.name, r.value;
    END LOOP;

    -- Every setting, JSON nulls left out (a null setting takes the column default, as a missing
    -- one does). The CASE keeps jsonb_each away from non-objects whatever the plan.
    FOR r IN
        WITH settings AS (
            SELECT p.name, k.key, k.value, jsonb_typeof(k.value) AS type
            FROM personalities p
            CROSS JOIN LATERAL jsonb_each(
                CASE WHEN jsonb_typeof(p.voice_settings) = 'object' THEN p.voice_settings END
            ) AS k(key, value)
            WHERE jsonb_typeof(k.value) <> 'null'
        )
        SELECT name, key, value, type,
               CASE key WHEN 'voiceId' THEN 100 WHEN 'model' THEN 50 END AS max_length
        FROM settings
        WHERE key NOT IN ('voiceId', 'model', 'stability', 'similarity', 'style', 'frequency')
           OR (key IN ('voiceId', 'model') AND (type <> 'string'
               OR length(value #>> '{}') > CASE key WHEN 'voiceId' THEN 100 ELSE 50 END))
           OR (key IN ('stability', 'similarity', 'style', 'frequency') AND (type <> 'number'
               OR CASE WHEN type = 'number' THEN (value #>> '{}')::numeric NOT BETWEEN 0 AND 1 END))
        ORDER BY name, key
        LIMIT 1
    LOOP
        IF r.key NOT IN ('voiceId', 'model', 'stability', 'similarity', 'style', 'frequency') THEN
            RAISE EXCEPTION 'personality "%" has voice setting "%", which voice_configs has no place for',
                r.name, r.key;
        ELSIF r.max_length IS NOT NULL THEN
            RAISE EXCEPTION 'personality "%" has voice % = %, which is not a string of at most % characters',
                r.name, r.key, r.value, r.max_length;
        ELSIF r.type <> 'number' THEN
            RAISE EXCEPTION 'personality "%" has voice % = %, which is not a number', r.name, r.key, r.value;
        ELSE
            RAISE EXCEPTION 'personality "%" has voice % = %, outside [0, 1]', r.name, r.key, r.value;
        END IF;
    END LOOP;
END $$;

INSERT INTO voice_configs
    (personality_id, enabled, voice_id, voice_model, stability, similarity, style, frequency)
SELECT p.id,
       p.voice_enabled,
       p.voice_settings ->> 'voiceId',
       coalesce(p.voice_settings ->> 'model', 'eleven_flash_v2_5'),
       coalesce((p.voice_settings ->> 'stability')::numeric, 0.50),
       coalesce((p.voice_settings ->> 'similarity')::numeric, 0.75),
       coalesce((p.voice_settings ->> 'style')::numeric, 0.00),
       coalesce((p.voice_settings ->> 'frequency')::numeric, 0.00)
FROM personalities p
WHERE p.voice_enabled OR jsonb_typeof(p.voice_settings) = 'object';

ALTER TABLE personalities DROP COLUMN voice_enabled, DROP COLUMN voice_settings;

-- ---------------------------------------------------------------------------------------------
-- image_configs, one per personality (new feature: no data to migrate, off by default).
CREATE TABLE image_configs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    personality_id uuid NOT NULL UNIQUE REFERENCES personalities (id) ON DELETE CASCADE,
    provider varchar(20) NOT NULL DEFAULT 'openrouter'
        CHECK (provider IN ('openai', 'google', 'openrouter')),
    model varchar(100) NOT NULL,
    enabled boolean NOT NULL DEFAULT false,
    default_size varchar(20) NOT NULL DEFAULT '1024x1024',
    advanced_parameters jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(advanced_parameters) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX image_configs_provider_idx ON image_configs (provider);

-- ---------------------------------------------------------------------------------------------
-- llm_configs: universal columns stay, provider-specific ones move into advanced_parameters.
ALTER TABLE llm_configs
    ADD COLUMN provider varchar(20) NOT NULL DEFAULT 'openrouter'
        CHECK (provider IN ('openai', 'anthropic', 'google', 'openrouter')),
    ADD COLUMN advanced_parameters jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(advanced_parameters) = 'object'),
    ADD COLUMN max_conversation_history integer NOT NULL DEFAULT 50
        CHECK (max_conversation_history BETWEEN 0 AND 500),
    ADD COLUMN max_referenced_messages integer NOT NULL DEFAULT 10
        CHECK (max_referenced_messages BETWEEN 0 AND 100),
    ALTER COLUMN top_p TYPE numeric(4, 3),
    ALTER COLUMN memory_score_threshold TYPE numeric(4, 3),
    ADD CONSTRAINT llm_configs_temperature_range CHECK (temperature BETWEEN 0 AND 2),
    ADD CONSTRAINT llm_configs_top_p_range CHECK (top_p BETWEEN 0 AND 1),
    ADD CONSTRAINT llm_configs_memory_threshold_range CHECK (memory_score_threshold BETWEEN 0 AND 1),
    ADD CONSTRAINT llm_configs_max_tokens_positive CHECK (max_tokens > 0);

UPDATE llm_configs
SET advanced_parameters = jsonb_strip_nulls(jsonb_build_object(
    'topK', top_k,
    'frequencyPenalty', frequency_penalty,
    'presencePenalty', presence_penalty,
    'repetitionPenalty', repetition_penalty
));

ALTER TABLE llm_configs
    DROP COLUMN top_k,
    DROP COLUMN frequency_penalty,
    DROP COLUMN presence_penalty,
    DROP COLUMN repetition_penalty;
CREATE INDEX llm_configs_provider_idx ON llm_configs (provider);

-- ---------------------------------------------------------------------------------------------
-- user_api_keys (BYOK): AES-256-GCM, hex-encoded; associated data binds user, provider, version.
CREATE TABLE user_api_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider varchar(20) NOT NULL
        CHECK (provider IN ('openai', 'anthropic', 'google', 'openrouter', 'elevenlabs')),
    iv varchar(32) NOT NULL CHECK (iv ~ '^[0-9a-f]{24}$'),
    content text NOT NULL CHECK (content ~ '^([0-9a-f]{2})+$'),
    tag varchar(32) NOT NULL CHECK (tag ~ '^[0-9a-f]{32}$'),
    key_version integer NOT NULL,
    -- at most the last four characters, shown by /wallet list
    key_hint varchar(4),
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    UNIQUE (user_id, provider)
);
CREATE INDEX user_api_keys_provider_idx ON user_api_keys (provider);
CREATE INDEX user_api_keys_key_version_idx ON user_api_keys (key_version);

-- ---------------------------------------------------------------------------------------------
-- usage_logs: one row per provider call.
CREATE TABLE usage_logs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personality_id uuid REFERENCES personalities (id) ON DELETE SET NULL,
    provider varchar(20) NOT NULL,
    model varchar(100) NOT NULL,
    tokens_in integer NOT NULL CHECK (tokens_in >= 0),
    tokens_out integer NOT NULL CHECK (tokens_out >= 0),
    tokens_total integer NOT NULL CHECK (tokens_total >= 0),
    request_type varchar(20) NOT NULL CHECK (request_type IN ('text', 'voice', 'image')),
    "timestamp" timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_logs_user_time_idx ON usage_logs (user_id, "timestamp");
CREATE INDEX usage_logs_provider_idx ON usage_logs (provider);
CREATE INDEX usage_logs_request_type_idx ON usage_logs (request_type);
