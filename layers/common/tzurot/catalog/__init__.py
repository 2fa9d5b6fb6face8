"""The model catalog: which models each provider lists today, with context length, modalities,
prices and shutdown dates (table `model_catalog`, migration 0007).

- `sources`: fetch and read each provider's list endpoint (OpenRouter's public list; OpenAI,
  Anthropic and Gemini with an operator key, `keys`);
- `store`: the table's queries (import-light: the interactions function autocompletes from it);
- `refresh`: fetch every configured provider and replace its rows (`tzurot models refresh`, the
  daily catalog function);
- `usage`: what the commands ask of it (refusals, /imagine defaults, prices).

Nothing is imported here: the interactions function loads `store` alone.
"""
