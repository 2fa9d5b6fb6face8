"""The shared base of every parameter schema: camelCase keys, unknown keys rejected, no coercion.

Strict types: "0.5" is not a number and 1 is not a boolean, so what is stored is what the
provider gets. Integers are accepted where a number is expected; NaN and infinities are not.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Params(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        allow_inf_nan=False,  # NaN passes no range check's meaning; say "finite" instead
    )

    def dump(self) -> dict:
        """The stored form: camelCase keys, unset keys left out."""
        return self.model_dump(by_alias=True, exclude_none=True)
