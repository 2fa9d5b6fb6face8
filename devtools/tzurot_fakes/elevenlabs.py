"""The fake ElevenLabs API: text-to-speech (real MP3 frames, character-cost header), the model
list, keys limited per endpoint, and ElevenLabs' real error bodies."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tzurot.dev.audio import FAKE_MP3
from tzurot_fakes.base import ERROR_KINDS, FakeProviderAPI, RecordedRequest, Reply, retry_headers

ELEVENLABS_PERMISSIONS = frozenset({"text_to_speech", "models_read", "voices_read", "user_read"})


class FakeElevenLabs(FakeProviderAPI):
    """GET /v1/models and POST /v1/text-to-speech/{voice_id}, `xi-api-key`, scoped keys.

    `fake.add_key(key, permissions)` adds a restricted key (ElevenLabs lets a key be limited per
    endpoint); keys from `valid_keys` have every permission. A key lacking the permission an
    endpoint needs gets ElevenLabs' 401 `missing_permissions`.
    """

    name = "elevenlabs"
    supported_errors = tuple(k for k in ERROR_KINDS if k != "blocked")
    AUDIO = FAKE_MP3  # real MPEG-1 Layer III frames (silence); `queue_reply(audio=...)` others

    def __init__(self, valid_keys: Iterable[str] | None = ("test-key",)):
        self.permissions: dict[str, frozenset[str]] = {
            k: ELEVENLABS_PERMISSIONS for k in valid_keys or ()
        }
        super().__init__(valid_keys)

    def add_key(self, key: str, permissions: Iterable[str]) -> None:
        self.valid_keys.add(key)
        self.permissions[key] = frozenset(permissions)

    def routes(self) -> list[Route]:
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/text-to-speech/{voice_id}", self.speech, methods=["POST"]),
        ]

    def key_of(self, recorded: RecordedRequest) -> str | None:
        return recorded.headers.get("xi-api-key")

    def refuse(self, key: str, recorded: RecordedRequest) -> Response | None:
        needed = "models_read" if recorded.path == "/v1/models" else "text_to_speech"
        if needed in self.permissions.get(key, ELEVENLABS_PERMISSIONS):
            return None
        return self._detail(
            401,
            "missing_permissions",
            f"The API key you used is missing the permission {needed} to execute this operation.",
        )

    async def models(self, request: Request) -> Response:
        return await self._answer(request, self.model_list)

    async def speech(self, request: Request) -> Response:
        return await self._answer(request, self.synthesize)

    def synthesize(self, recorded: RecordedRequest, reply: Reply) -> Response:
        # Like the real (FastAPI) service: the key and its permission first, then the body. A
        # body without `text` (required in the OpenAPI file) is a 422 and nothing is spoken.
        body = recorded.json
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return self.error("bad_request", None, None, recorded)
        headers = {"character-cost": str(len(body["text"])), "request-id": "fake-request-0001"}
        audio = self.AUDIO if reply.audio is None else reply.audio
        return Response(audio, media_type="audio/mpeg", headers=headers)

    def model_list(self, recorded: RecordedRequest, reply: Reply) -> Response:
        # The example ModelResponseModel of ElevenLabs' OpenAPI file.
        model = {
            "model_id": "eleven_multilingual_v2",
            "name": "Eleven Multilingual v2",
            "can_be_finetuned": True,
            "can_do_text_to_speech": True,
            "can_do_voice_conversion": True,
            "can_use_style": True,
            "can_use_speaker_boost": True,
            "serves_pro_voices": False,
            "token_cost_factor": 1,
            "description": "Our state of the art multilingual speech synthesis model.",
            "requires_alpha_access": False,
            "max_characters_request_free_user": 2500,
            "max_characters_request_subscribed_user": 5000,
            "maximum_text_length_per_request": 1000000,
            "languages": [{"language_id": "en", "name": "English"}],
            "model_rates": {"character_cost_multiplier": 1},
            "concurrency_group": "standard",
        }
        return JSONResponse([model])

    @staticmethod
    def _detail(status: int, code: str, message: str, headers=None) -> Response:
        return JSONResponse(
            {"detail": {"status": code, "message": message}}, status, headers=headers or {}
        )

    def error(self, kind, message, retry_after, recorded) -> Response:
        if kind == "bad_request":
            body = {
                "detail": [
                    {
                        "loc": ["body", "text"],
                        "msg": message or "Field required",
                        "type": "missing",
                    }
                ]
            }
            return JSONResponse(body, 422)
        table = {
            "invalid_key": (401, "invalid_api_key", "Invalid API key"),
            "quota": (
                401,
                "quota_exceeded",
                "This request exceeds your quota of 10000. You have 5 credits remaining, while "
                "26 credits are required for this request.",
            ),
            "permissions": (
                401,
                "missing_permissions",
                "The API key you used is missing the permission text_to_speech to execute this "
                "operation.",
            ),
            "rate_limit": (
                429,
                "too_many_concurrent_requests",
                "Too many concurrent requests for your subscription. Please try again later.",
            ),
            "server_error": (500, "internal_error", "An internal server error occurred."),
            "unavailable": (503, "service_unavailable", "The service is temporarily unavailable."),
        }
        status, code, default = table[kind]
        return self._detail(status, code, message or default, retry_headers(retry_after))
