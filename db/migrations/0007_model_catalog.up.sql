-- The model catalog: what each provider lists today (tzurot.catalog, filled by
-- `tzurot models refresh` and the daily catalog function). One row per provider and model id as
-- the provider's API spells it (Gemini's without the "models/" prefix). Empty modality arrays
-- mean "not published": nothing is refused for a modality the catalog does not know. Prices are
-- US dollars per million tokens, NULL where the provider publishes none in its list.
CREATE TABLE model_catalog (
    provider varchar(20) NOT NULL
        CONSTRAINT model_catalog_provider_check
            CHECK (provider IN ('openai', 'anthropic', 'google', 'openrouter')),
    model_id varchar(200) NOT NULL CONSTRAINT model_catalog_model_id_check CHECK (model_id <> ''),
    display_name varchar(200),
    context_length integer CONSTRAINT model_catalog_context_length_check
        CHECK (context_length IS NULL OR context_length > 0),
    input_modalities text[] NOT NULL DEFAULT '{}',
    output_modalities text[] NOT NULL DEFAULT '{}',
    input_price_per_million numeric(14, 6) CONSTRAINT model_catalog_input_price_check
        CHECK (input_price_per_million IS NULL OR input_price_per_million >= 0),
    output_price_per_million numeric(14, 6) CONSTRAINT model_catalog_output_price_check
        CHECK (output_price_per_million IS NULL OR output_price_per_million >= 0),
    released_at timestamptz,
    deprecated_at date,
    shutdown_date date,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, model_id)
);
-- Autocomplete filters one provider's rows by a lowercase substring; /usage joins on the key.
CREATE INDEX model_catalog_lower_id_idx ON model_catalog (provider, lower(model_id));
