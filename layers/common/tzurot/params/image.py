"""Image `advanced_parameters` per provider (image_configs), ranges from the proposal (section 9).

OpenAI quality takes the GPT image models' values (low|medium|high|auto, xhigh|max for the
gpt-image-2.5 family); the retired DALL-E models' standard|hd and `style` are still accepted in
stored configs but not sent (validate.py notes it). `promptPrefix` (a personality's style) is
accepted by every provider.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from tzurot.params.base import Params
from tzurot.params.llm import Seed

PromptText = Annotated[str, StringConstraints(max_length=1000)]


class ImageParams(Params):
    prompt_prefix: PromptText | None = None


ImageQuality = Literal["low", "medium", "high", "xhigh", "max", "auto", "standard", "hd"]


class OpenAIImageParams(ImageParams):
    quality: ImageQuality | None = None
    style: Literal["vivid", "natural"] | None = None


class OpenRouterImageParams(ImageParams):
    """Stable Diffusion / Flux style models through OpenRouter."""

    steps: Annotated[int, Field(ge=1, le=50)] | None = None
    guidance_scale: Annotated[float, Field(ge=1.0, le=20.0)] | None = None
    negative_prompt: PromptText | None = None
    default_negative_prompt: PromptText | None = None
    seed: Seed | None = None
    scheduler: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None


class GeminiImageParams(ImageParams):
    aspect_ratio: Literal["1:1", "16:9", "4:3", "3:4", "9:16"] | None = None
    safety_filter_level: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = (
        None
    )


IMAGE_PARAMS: dict[str, type[ImageParams]] = {
    "openai": OpenAIImageParams,
    "openrouter": OpenRouterImageParams,
    "google": GeminiImageParams,
}
