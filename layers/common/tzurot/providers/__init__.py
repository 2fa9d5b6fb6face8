"""AI provider clients over httpx (no SDKs): OpenAI, Anthropic, Google Gemini, OpenRouter, and
ElevenLabs key checks. Importing this package is light; httpx loads with the first provider.
"""
