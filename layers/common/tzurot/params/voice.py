"""ElevenLabs voice settings (voice_configs): each quality value in [0, 1] (proposal section 5)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from tzurot.params.base import Params

Unit = Annotated[float, Field(ge=0, le=1)]


class VoiceSettings(Params):
    voice_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    voice_model: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    stability: Unit | None = None
    similarity: Unit | None = None
    style: Unit | None = None
    frequency: Unit | None = None
