-- Embedding usage rows become 'text' rows (their tokens stay counted); then the old check.
UPDATE usage_logs SET request_type = 'text' WHERE request_type = 'embedding';
ALTER TABLE usage_logs DROP CONSTRAINT usage_logs_request_type_check;
ALTER TABLE usage_logs ADD CONSTRAINT usage_logs_request_type_check
    CHECK (request_type IN ('text', 'voice', 'image'));

DROP TABLE memory_settings;
DROP TABLE memories;
DROP EXTENSION IF EXISTS vector;

-- The memory settings go back into custom_fields under their shapes.inc names.
UPDATE personalities
SET custom_fields = CASE WHEN jsonb_typeof(custom_fields) = 'object' THEN custom_fields
                         ELSE '{}'::jsonb END
    || jsonb_strip_nulls(jsonb_build_object(
           'ltm_enabled', ltm_enabled,
           'ltm_threshold', ltm_threshold,
           'ltm_max_retrieved_summaries', ltm_max_retrieved_summaries))
WHERE ltm_enabled IS NOT NULL OR ltm_threshold IS NOT NULL
   OR ltm_max_retrieved_summaries IS NOT NULL;
ALTER TABLE personalities
    DROP COLUMN ltm_enabled,
    DROP COLUMN ltm_threshold,
    DROP COLUMN ltm_max_retrieved_summaries;
