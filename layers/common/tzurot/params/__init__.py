"""Per-provider parameter schemas (pydantic v2) and their entry points in `tzurot.params.validate`:
`validate_llm_config` (what /config checks), `validate_image_params`, `validate_voice_settings`.

Keys are camelCase, as stored in the `advanced_parameters` jsonb columns; unknown keys are
rejected. docs/parameters.md lists every key and range.
"""
