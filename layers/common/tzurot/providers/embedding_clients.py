"""The three embedding clients: each provider's chat client plus its embeddings call
(tzurot.providers.embeddings). Apart from the embeddings module so that importing the shapes
does not import every provider."""

from __future__ import annotations

from tzurot.providers.embeddings import GeminiEmbeddings, OpenAICompatibleEmbeddings
from tzurot.providers.gemini import GeminiProvider
from tzurot.providers.openai import OpenAIProvider
from tzurot.providers.openrouter import OpenRouterProvider


class OpenAIEmbeddingClient(OpenAICompatibleEmbeddings, OpenAIProvider):
    pass


class OpenRouterEmbeddingClient(OpenAICompatibleEmbeddings, OpenRouterProvider):
    pass


class GeminiEmbeddingClient(GeminiEmbeddings, GeminiProvider):
    pass
