-- Puts every moved value back where 0001 kept it. Data that exists only in the new shape
-- (stored API keys, usage, image configs, advanced parameters beyond the four legacy columns)
-- is dropped.

DROP TABLE usage_logs;
DROP TABLE user_api_keys;

ALTER TABLE llm_configs
    ADD COLUMN top_k integer,
    ADD COLUMN frequency_penalty numeric(3, 2),
    ADD COLUMN presence_penalty numeric(3, 2),
    ADD COLUMN repetition_penalty numeric(3, 2);
UPDATE llm_configs
SET top_k = (advanced_parameters ->> 'topK')::integer,
    frequency_penalty = (advanced_parameters ->> 'frequencyPenalty')::numeric,
    presence_penalty = (advanced_parameters ->> 'presencePenalty')::numeric,
    repetition_penalty = (advanced_parameters ->> 'repetitionPenalty')::numeric;
DROP INDEX llm_configs_provider_idx;
ALTER TABLE llm_configs
    DROP CONSTRAINT llm_configs_temperature_range,
    DROP CONSTRAINT llm_configs_top_p_range,
    DROP CONSTRAINT llm_configs_memory_threshold_range,
    DROP CONSTRAINT llm_configs_max_tokens_positive,
    DROP COLUMN provider,
    DROP COLUMN advanced_parameters,
    DROP COLUMN max_conversation_history,
    DROP COLUMN max_referenced_messages,
    ALTER COLUMN top_p TYPE numeric(3, 2),
    ALTER COLUMN memory_score_threshold TYPE numeric(3, 2);
DROP TABLE image_configs;

ALTER TABLE personalities
    ADD COLUMN voice_enabled boolean NOT NULL DEFAULT false,
    ADD COLUMN voice_settings jsonb;
UPDATE personalities p
SET voice_enabled = v.enabled,
    voice_settings = CASE WHEN v.voice_id IS NULL THEN NULL ELSE jsonb_build_object(
        'voiceId', v.voice_id,
        'model', v.voice_model,
        'stability', v.stability::float8,
        'similarity', v.similarity::float8,
        'style', v.style::float8,
        'frequency', v.frequency::float8
    ) END
FROM voice_configs v
WHERE v.personality_id = p.id;
DROP TABLE voice_configs;

UPDATE personalities p
-- (a non-object custom_fields, JSON null included, was never unpacked: only aliases, messages or
-- birthdays added after the migration reach this, and they need an object to live in)
SET custom_fields = CASE WHEN jsonb_typeof(p.custom_fields) = 'object'
                         THEN p.custom_fields ELSE '{}'::jsonb END
    || CASE WHEN a.aliases IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('aliases', a.aliases) END
    || CASE WHEN p.error_message IS NULL THEN '{}'::jsonb
            ELSE jsonb_build_object('errorMessage', p.error_message) END
    || CASE WHEN p.birthday IS NOT NULL
                THEN jsonb_build_object('birthday', to_char(p.birthday, 'YYYY-MM-DD'))
            WHEN p.birthday_month IS NOT NULL
                THEN jsonb_build_object('birthday',
                    lpad(p.birthday_month::text, 2, '0') || '-' || lpad(p.birthday_day::text, 2, '0'))
            ELSE '{}'::jsonb END
FROM personalities q
LEFT JOIN LATERAL (
    SELECT jsonb_agg(pa.alias ORDER BY pa.position, pa.created_at) AS aliases
    FROM personality_aliases pa WHERE pa.personality_id = q.id
) a ON true
WHERE q.id = p.id
  AND (a.aliases IS NOT NULL OR p.error_message IS NOT NULL OR p.birthday_month IS NOT NULL);

DROP TABLE personality_aliases;
DROP TRIGGER personalities_name_guard ON personalities;
DROP FUNCTION personality_name_guard();
DROP FUNCTION personality_alias_guard();
DROP INDEX personalities_name_lower_idx;
DROP INDEX personalities_slug_lower_idx;

ALTER TABLE personalities
    DROP CONSTRAINT personalities_birthday_parts,
    DROP COLUMN error_message,
    DROP COLUMN birthday,
    DROP COLUMN birthday_month,
    DROP COLUMN birthday_day;

ALTER TABLE users DROP COLUMN timezone;
