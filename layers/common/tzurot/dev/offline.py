"""The offline demo of `tzurot dev --fake-providers`: someone to talk to, and providers that
answer without the internet or a real key.

`FakeProviders` serves the loopback fakes the tests use (tzurot_fakes: OpenAI, Anthropic,
Gemini, OpenRouter, ElevenLabs, with their real wire formats) and points the *_BASE_URL
variables at them. Any non-empty key is accepted, so `/wallet set` with any text works; and
unless the operator configured guest mode, a guest key for the fake OpenRouter is set, so /chat
answers before anyone stores a key. `ExamplePersonalities` imports examples/personalities/
(shapes.inc exports) for the slugs the database does not have yet.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

BASE_URL_VARIABLES = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "google": "GEMINI_BASE_URL",
    "openrouter": "OPENROUTER_BASE_URL",
    "elevenlabs": "ELEVENLABS_BASE_URL",
}
GUEST = {
    "TZUROT_GUEST_PROVIDER": "openrouter",
    "TZUROT_GUEST_MODEL": "openai/gpt-4o-mini",
    "TZUROT_GUEST_API_KEY": "fake-guest-key",
}


class FakeProviders:
    """Local stack part: the provider fakes on loopback (any free ports), base URLs exported."""

    name = "fake-providers"

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self._servers: ExitStack | None = None

    def start(self, stack) -> None:
        try:
            from tzurot_fakes.providers import FAKES
        except ImportError:
            from tzurot.dev.stack import StackError

            raise StackError(
                "the provider fakes (tzurot_fakes, in devtools/) are not installed; "
                "run ./dev from a clone of the repository"
            ) from None
        self._servers = ExitStack()
        for provider, fake in FAKES.items():
            url = self._servers.enter_context(fake(valid_keys=None).serve())
            self.urls[provider] = url
            stack.export(**{BASE_URL_VARIABLES[provider]: url})
            stack.report(f"fake {provider}: {url} (any key)")
        if not all(os.environ.get(name, "").strip() for name in GUEST):
            stack.export(**GUEST)
            stack.report(
                "guest mode: fake openrouter, so /chat answers without a key "
                "(/imagine needs one: `/wallet set` takes any text)"
            )

    def stop(self) -> None:
        if self._servers is not None:
            self._servers.close()
            self._servers = None


class ExamplePersonalities:
    """Local stack part (after the database): imports the example exports whose slug is
    missing, so there is someone to talk to; personalities already there are left alone."""

    name = "example-personalities"

    def __init__(self, folder: Path | None = None):
        self.folder = folder

    def start(self, stack) -> None:
        from tzurot.db.connection import connect
        from tzurot.errors import TzurotError
        from tzurot.personalities.importer import import_exports
        from tzurot.personalities.shapes import read_exports

        folder = self.folder or _examples_folder()
        if not folder.is_dir():
            stack.report(f"examples: {folder} not found; nothing imported")
            return
        try:
            exports = read_exports([folder])
            with connect() as conn:
                have = {row[0] for row in conn.execute("SELECT lower(slug) FROM personalities")}
                missing = [e for e in exports if e.export.username.lower() not in have]
                if missing:
                    import_exports(conn, missing)
        except TzurotError as exc:  # a clash with the dev data: the stack still runs
            stack.report(f"examples: not imported ({exc})")
            return
        names = ", ".join(e.export.username for e in missing) or "none missing"
        stack.report(f"examples: imported from {folder}: {names}")

    def stop(self) -> None:
        pass


def _examples_folder() -> Path:
    from tzurot.db.embedded import PROJECT_ROOT

    return PROJECT_ROOT / "examples" / "personalities"
