-- Long-term memory (issue 14): what a personality remembers of each user across conversations.
--
-- 1. The shapes.inc memory settings become columns of personalities. Until now the importer kept
--    `ltm_enabled` in custom_fields (threshold and limit went to the llm config, where they
--    stay); a legacy or hand-made custom_fields may hold all three. A key moves only when its
--    value fits the column (a JSON boolean; a number in [0, 1]; a whole number >= 0 written
--    without a fraction), so that the rollback writes back exactly what was there. Anything
--    else (JSON null, "yes", 1.5, 5.0) stays in custom_fields untouched and is ignored.
ALTER TABLE personalities
    ADD COLUMN ltm_enabled boolean,
    -- plain numeric keeps the scale the JSON had (0.700 comes back as 0.700)
    ADD COLUMN ltm_threshold numeric
        CONSTRAINT personalities_ltm_threshold_range CHECK (ltm_threshold BETWEEN 0 AND 1),
    ADD COLUMN ltm_max_retrieved_summaries integer
        CONSTRAINT personalities_ltm_max_retrieved_summaries_check
            CHECK (ltm_max_retrieved_summaries >= 0);

WITH fits AS (
    SELECT id,
           jsonb_typeof(custom_fields -> 'ltm_enabled') = 'boolean' AS enabled_fits,
           coalesce(jsonb_typeof(custom_fields -> 'ltm_threshold') = 'number'
                    AND (custom_fields ->> 'ltm_threshold')::numeric BETWEEN 0 AND 1,
                    false) AS threshold_fits,
           coalesce(jsonb_typeof(custom_fields -> 'ltm_max_retrieved_summaries') = 'number'
                    AND (custom_fields ->> 'ltm_max_retrieved_summaries') ~ '^[0-9]{1,10}$'
                    AND (custom_fields ->> 'ltm_max_retrieved_summaries')::bigint <= 2147483647,
                    false) AS max_fits
    FROM personalities
    WHERE jsonb_typeof(custom_fields) = 'object'
      AND custom_fields ?| ARRAY['ltm_enabled', 'ltm_threshold', 'ltm_max_retrieved_summaries']
)
UPDATE personalities p
SET ltm_enabled = CASE WHEN f.enabled_fits THEN (p.custom_fields ->> 'ltm_enabled')::boolean END,
    ltm_threshold = CASE WHEN f.threshold_fits
                         THEN (p.custom_fields ->> 'ltm_threshold')::numeric END,
    ltm_max_retrieved_summaries = CASE WHEN f.max_fits
                         THEN (p.custom_fields ->> 'ltm_max_retrieved_summaries')::integer END,
    custom_fields = p.custom_fields - array_remove(ARRAY[
        CASE WHEN f.enabled_fits THEN 'ltm_enabled' END,
        CASE WHEN f.threshold_fits THEN 'ltm_threshold' END,
        CASE WHEN f.max_fits THEN 'ltm_max_retrieved_summaries' END], NULL)
FROM fits f
WHERE p.id = f.id AND (f.enabled_fits OR f.threshold_fits OR f.max_fits);

-- 2. Memories. pgvector is bundled with the embedded PostgreSQL and offered by RDS/Aurora.
CREATE EXTENSION IF NOT EXISTS vector;

-- One remembered turn of one user with one personality. `embedding` has no fixed dimension:
-- each row records the model that made it and its dimension (`dims`), and recall only compares
-- rows of the query's own model. `search` is the full-text index of the text, used when there
-- is no embedding (a provider without one, a failed call) and merged with vector recall.
CREATE TABLE memories (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personality_id uuid NOT NULL REFERENCES personalities (id) ON DELETE CASCADE,
    content text NOT NULL CONSTRAINT memories_content_not_blank CHECK (btrim(content) <> ''),
    -- the turn it was made from: the /chat interaction and its channel
    source_interaction_id varchar(20),
    source_channel_id varchar(20),
    created_at timestamptz NOT NULL DEFAULT now(),
    embedding vector,
    embedding_model varchar(100),
    dims smallint,
    search tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    CONSTRAINT memories_embedding_described CHECK (
        (embedding IS NULL AND embedding_model IS NULL AND dims IS NULL)
        OR (embedding IS NOT NULL AND embedding_model IS NOT NULL
            AND dims = vector_dims(embedding)))
);
-- pgvector stores vectors out of line (STORAGE external): a 1536-dimension vector (6 KB) would
-- cost recall a TOAST index lookup and three chunk reads per row. Kept in the row instead, a
-- recall reads one heap page per memory (docs/benchmarks.md, "Memory").
ALTER TABLE memories ALTER COLUMN embedding SET STORAGE MAIN;
-- A redelivered job writes its memory once.
CREATE UNIQUE INDEX memories_source_interaction_key ON memories (source_interaction_id);
-- Recall, /memory list and forget: one user's memories with one personality, newest first.
CREATE INDEX memories_owner_idx ON memories (user_id, personality_id, id DESC);
CREATE INDEX memories_search_idx ON memories USING gin (search);
-- HNSW per dimension (an index needs a fixed one): the defaults of the three providers give
-- 1536 (docs/schema.md, "Memories"). Expression + partial, so rows of other sizes still fit.
CREATE INDEX memories_embedding_1536_idx ON memories
    USING hnsw ((embedding::vector(1536)) vector_cosine_ops) WHERE dims = 1536;
CREATE INDEX memories_embedding_768_idx ON memories
    USING hnsw ((embedding::vector(768)) vector_cosine_ops) WHERE dims = 768;

-- A user's own switch: memory off for one personality, or (personality_id NULL) for all.
CREATE TABLE memory_settings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personality_id uuid REFERENCES personalities (id) ON DELETE CASCADE,
    enabled boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT memory_settings_scope_key UNIQUE NULLS NOT DISTINCT (user_id, personality_id)
);

-- 3. Embedding calls are usage too (they count toward the daily limits).
ALTER TABLE usage_logs DROP CONSTRAINT usage_logs_request_type_check;
ALTER TABLE usage_logs ADD CONSTRAINT usage_logs_request_type_check
    CHECK (request_type IN ('text', 'voice', 'image', 'embedding'));
