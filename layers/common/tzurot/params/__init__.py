"""Per-provider parameter schemas (pydantic v2) and the one validation entry point, `validate`.

Keys are camelCase, as stored in the `advanced_parameters` jsonb columns; unknown keys are
rejected. docs/parameters.md lists every key and range.
"""
