"""LLM `advanced_parameters` per provider (llm_configs / user_config_overrides).

Ranges follow the schema proposal (section 6); where the providers' current APIs accept more
(OpenAI reasoning effort levels, Gemini thinking budget), that is noted in docs/parameters.md.
Cross-field rules that involve the universal columns (max_tokens, temperature) live in
`tzurot.params.validate`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from tzurot.params.base import Params

# Anthropic requires max_tokens; the provider layer sends this when none is configured.
ANTHROPIC_DEFAULT_MAX_TOKENS = 1024
THINKING_MIN_BUDGET = 1024
THINKING_MAX_BUDGET = 10_000

Penalty = Annotated[float, Field(ge=-2, le=2)]
Probability = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(ge=1)]
Seed = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
StopSequence = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# The levels OpenAI's and OpenRouter's current specs accept (the proposal named low|medium|high).
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
# Anthropic's output_config.effort (API version 2026-10-21).
AnthropicEffort = Literal["low", "medium", "high", "xhigh", "max"]
TOKEN_ID_PATTERN = r"^\d{1,10}$"
TokenId = Annotated[str, StringConstraints(pattern=TOKEN_ID_PATTERN)]


class AdvancedParams(Params):
    """Keys every provider accepts."""

    stop: list[StopSequence] | None = Field(None, max_length=4)
    stream_response: bool | None = None


class OpenAIAdvancedParams(AdvancedParams):
    frequency_penalty: Penalty | None = None
    presence_penalty: Penalty | None = None
    seed: Seed | None = None
    logit_bias: dict[TokenId, Annotated[int, Field(ge=-100, le=100)]] | None = Field(
        None, max_length=300
    )
    reasoning_effort: ReasoningEffort | None = None
    max_completion_tokens: PositiveInt | None = None
    json_schema: dict[str, Any] | None = None


class ThinkingConfig(Params):
    """Anthropic `thinking`: "enabled" with a budget (manual), "adaptive" (the model decides
    how much to think), or "disabled"."""

    type: Literal["enabled", "adaptive", "disabled"]
    budget_tokens: Annotated[int, Field(ge=THINKING_MIN_BUDGET, le=THINKING_MAX_BUDGET)] | None = (
        None
    )

    @model_validator(mode="after")
    def _budget_when_enabled(self) -> ThinkingConfig:
        if self.type == "enabled" and self.budget_tokens is None:
            raise ValueError("budgetTokens is required when thinking is enabled")
        return self

    @property
    def enabled(self) -> bool:
        return self.type == "enabled"


class AnthropicAdvancedParams(AdvancedParams):
    # Kept for stored configs; the current API has no top_k (validate.py notes it is not sent).
    top_k: Annotated[int, Field(ge=1, le=500)] | None = None
    thinking: ThinkingConfig | None = None
    cache_control: bool | None = None
    effort: AnthropicEffort | None = None


HarmCategory = Literal[
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
]
HarmThreshold = Literal[
    "BLOCK_NONE", "BLOCK_ONLY_HIGH", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_LOW_AND_ABOVE"
]


class SafetySetting(Params):
    category: HarmCategory
    threshold: HarmThreshold


class GeminiAdvancedParams(AdvancedParams):
    top_k: Annotated[int, Field(ge=1, le=100)] | None = None
    safety_settings: list[SafetySetting] | None = Field(None, max_length=4)
    # -1: the model decides; 0: thinking off (where the model allows it).
    thinking_budget: Annotated[int, Field(ge=-1, le=32_768)] | None = None
    seed: Seed | None = None

    @field_validator("safety_settings")
    @classmethod
    def _one_threshold_per_category(cls, value: list[SafetySetting] | None):
        if value:
            seen: set[str] = set()
            for setting in value:
                if setting.category in seen:
                    raise ValueError(f"{setting.category} is listed more than once")
                seen.add(setting.category)
        return value


class OpenRouterAdvancedParams(AdvancedParams):
    min_p: Probability | None = None
    top_a: Probability | None = None
    # typicalP and transforms are no longer in OpenRouter's ChatRequest: kept, not sent.
    typical_p: Probability | None = None
    repetition_penalty: Annotated[float, Field(ge=0.1, le=2)] | None = None
    transforms: list[Annotated[str, StringConstraints(min_length=1, max_length=50)]] | None = Field(
        None, max_length=10
    )
    top_k: Annotated[int, Field(ge=0, le=500)] | None = None
    frequency_penalty: Penalty | None = None
    presence_penalty: Penalty | None = None
    reasoning_effort: ReasoningEffort | None = None
    seed: Seed | None = None


# OpenAI models that reason before answering (o-series, GPT-5 and later, except the
# "chat-latest" aliases): they take the system prompt as a `developer` message and accept
# neither `stop` nor a sampling temperature/top_p.
_OPENAI_REASONING = re.compile(r"^(o\d|gpt-[5-9])(?!.*chat-latest)")


def is_openai_reasoning_model(model: str, advanced: dict[str, Any] | None = None) -> bool:
    """True for an OpenAI reasoning model, by name or because reasoningEffort is set."""
    return bool((advanced or {}).get("reasoningEffort")) or bool(_OPENAI_REASONING.match(model))


LLM_PARAMS: dict[str, type[AdvancedParams]] = {
    "openai": OpenAIAdvancedParams,
    "anthropic": AnthropicAdvancedParams,
    "google": GeminiAdvancedParams,
    "openrouter": OpenRouterAdvancedParams,
}
