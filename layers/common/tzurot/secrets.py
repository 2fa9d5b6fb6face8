"""Secrets for Lambda: read from Secrets Manager or SSM instead of plain environment variables.

The template never puts DATABASE_URL, DISCORD_BOT_TOKEN or TZUROT_GUEST_API_KEY in a function's
environment. It sets a reference instead: `<NAME>_SECRET_ARN` (Secrets Manager, the secret string
is the value) or `<NAME>_PARAMETER` (an SSM SecureString, decrypted). `resolve_into` fetches each
referenced value through powertools Parameters (cached for `MAX_AGE_SECONDS`, so a rotated
secret is picked up without a redeploy) and writes it to the environment under `<NAME>`, where
`Settings.from_env` and the database connection read it. Locally nothing is referenced and this
module does nothing: plain variables keep working, and powertools and boto3 are never imported.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass

from tzurot.config import NO_REGION_HINT, ConfigError

SECRET_NAMES = ("DATABASE_URL", "DISCORD_BOT_TOKEN", "TZUROT_GUEST_API_KEY", "TZUROT_CATALOG_KEYS")
# Long enough that a warm container almost never calls AWS; short enough that a rotation
# (new database password) reaches every container within minutes.
MAX_AGE_SECONDS = 300

_SECRET_SUFFIX = "_SECRET_ARN"
_PARAMETER_SUFFIX = "_PARAMETER"
_CONNECT_TIMEOUT_SECONDS = 2
_READ_TIMEOUT_SECONDS = 5

_SETUP_HINTS = {"NoRegionError": NO_REGION_HINT}

_providers: dict[str, object] = {}


class SecretUnavailable(ConfigError):
    """A referenced secret could not be read (missing, access denied, store unreachable)."""


@dataclass(frozen=True)
class SecretRef:
    """Where one variable's value lives: store is "secretsmanager" or "ssm"."""

    name: str
    store: str
    location: str

    @property
    def description(self) -> str:
        where = "Secrets Manager" if self.store == "secretsmanager" else "SSM Parameter Store"
        return f"{self.name} from {where} ({self.location})"


def references(
    env: MutableMapping[str, str], names: tuple[str, ...] = SECRET_NAMES
) -> list[SecretRef]:
    """The references set in `env`; a name with both kinds set is a configuration mistake."""
    found = []
    for name in names:
        arn = env.get(name + _SECRET_SUFFIX, "").strip()
        parameter = env.get(name + _PARAMETER_SUFFIX, "").strip()
        if arn and parameter:
            raise ConfigError(
                f"set either {name}{_SECRET_SUFFIX} or {name}{_PARAMETER_SUFFIX}, not both"
            )
        if arn:
            found.append(SecretRef(name, "secretsmanager", arn))
        elif parameter:
            found.append(SecretRef(name, "ssm", parameter))
    return found


def _provider(store: str):
    """One powertools provider per store and process; its cache is what max_age applies to."""
    provider = _providers.get(store)
    if provider is None:
        from aws_lambda_powertools.utilities import parameters
        from botocore.config import Config

        config = Config(
            connect_timeout=_CONNECT_TIMEOUT_SECONDS,
            read_timeout=_READ_TIMEOUT_SECONDS,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        kind = parameters.SecretsProvider if store == "secretsmanager" else parameters.SSMProvider
        provider = _providers[store] = kind(boto_config=config)
    return provider


def fetch(ref: SecretRef) -> str:
    """The current value of `ref` (served from the cache while it is younger than max_age)."""
    from aws_lambda_powertools.utilities.parameters import GetParameterError
    from botocore.exceptions import BotoCoreError

    options = {"max_age": MAX_AGE_SECONDS}
    if ref.store == "ssm":
        options["decrypt"] = True
    try:
        value = _provider(ref.store).get(ref.location, **options)
    except GetParameterError as exc:
        raise SecretUnavailable(f"could not read {ref.description}: {_reason(exc)}") from None
    except BotoCoreError as exc:
        # Raised before any request, e.g. an operator machine with no region configured.
        name = type(exc).__name__
        hint = f" ({_SETUP_HINTS[name]})" if name in _SETUP_HINTS else ""
        raise SecretUnavailable(f"could not read {ref.description}: {name}{hint}") from None
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str) or not value.strip():
        raise SecretUnavailable(f"{ref.description} is empty")
    return value.strip()


def _reason(exc: BaseException) -> str:
    """The AWS error code when there is one; the SDK's text can quote request parameters."""
    cause = exc.__cause__ or exc.__context__
    response = getattr(cause, "response", None)
    if isinstance(response, dict) and response.get("Error", {}).get("Code"):
        return response["Error"]["Code"]
    return type(cause).__name__ if cause is not None else type(exc).__name__


def resolve_into(env: MutableMapping[str, str] | None = None) -> list[str]:
    """Fetch every referenced secret and store it under its plain name; returns those names.

    A reference wins over a plain variable of the same name: in Lambda the plain name only ever
    holds what an earlier call resolved. Cheap to call often (no reference: no import, no call).
    """
    env = os.environ if env is None else env
    resolved = []
    for ref in references(env):
        env[ref.name] = fetch(ref)
        resolved.append(ref.name)
    return resolved


def reset() -> None:
    """Forget the providers and their caches (tests; a new container starts empty anyway)."""
    _providers.clear()
