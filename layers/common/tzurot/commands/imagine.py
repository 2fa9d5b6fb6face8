"""/imagine prompt [personality] [size]: an image made with the user's own provider key and
uploaded to Discord as a file.

One job, in order:

1. claim the interaction (tzurot.jobs.idempotency): a redelivered job that ended stops here;
2. the personality, when one is named, and its image config, which must be enabled;
3. one read about the user: their users.id, the images they made in the last hour, today's
   tokens, and the providers they hold an active key for (no row: they never stored a key);
4. the plan: provider and model (the personality's, or without one the first provider of
   `DEFAULT_MODELS` the user has a key for, with the model catalog's newest image model of that
   provider, else the constant; tzurot.catalog.checks), size, prompt (the config's
   promptPrefix, then the user's words), negative prompt (OpenRouter only: the others have
   no field for one), the other advanced parameters, all validated with tzurot.params;
5. limits, before any provider call: `Settings.image_hourly_limit` images per rolling hour
   (usage_logs rows of request_type 'image', read through the (user_id, timestamp) index) and
   the daily token limit every request counts against; checked on step 3's read, then once
   more atomically while reserving one image (tzurot.usage.reservations), so jobs of one user
   running at the same moment cannot all pass;
6. the user's key, decrypted in memory, and the provider call. Never the operator's key: guest
   mode pays for chat only (images cost 10-100 times more, and a guest model is a text model);
7. one statement: the usage row, the reservation settled and 'done' (tzurot.commands.paid:
   retried, or spooled through SQS when the database is away). An image is counted
   as `IMAGE_TOKENS` output tokens (the proposal's "1 image = 1000 tokens"; providers do not
   report image tokens uniformly, and some not at all), 0 input tokens;
8. the deferred message is edited into an embed around the uploaded file (`files[0]` plus
   `payload_json`, the embed showing `attachment://image.png`, the personality as author).

When Discord fails at step 8 the claim is released and SQS delivers the job again. The image is
kept in this container's memory for a while (`RecentImages`), so a retry that lands here only
uploads it again; a retry in another container has to generate it anew, and that second
provider call is logged as the real call it is. Failures become the replies of
tzurot.commands.errors (same categories and reference ids as /chat); an invalid key is switched
off and its owner told, by DM where a bot token is configured and in the reply.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tzurot.commands import errors, paid, replies
from tzurot.commands.claimed import ClaimedJob, best_effort
from tzurot.commands.context import JobContext
from tzurot.errors import TzurotError
from tzurot.jobs import idempotency
from tzurot.key_fragments import protect
from tzurot.logs import get_logger
from tzurot.usage import limits, reservations
from tzurot.usage.ledger import UsageRecord

if TYPE_CHECKING:
    from tzurot.catalog.checks import ImageModels
    from tzurot.discord.rest import DiscordFile
    from tzurot.jobs.model import Job
    from tzurot.personalities.model import Personality
    from tzurot.providers.base import ImageResult

log = get_logger("tzurot.imagine")

# Without a personality: the first provider the user has a key for, with its model. One table,
# in order of preference (OpenRouter first: one key reaches many image models, cheap ones too).
DEFAULT_MODELS: dict[str, str] = {
    "openrouter": "google/gemini-2.5-flash-image",
    "openai": "gpt-image-2.5-sunburst",
    "google": "gemini-2.5-flash-image",
}
DEFAULT_SIZE = "1024x1024"
IMAGE_TOKENS = 1000  # usage_logs.tokens_out per image (see step 7)
HOUR = timedelta(hours=1)
DISCORD_UPLOAD_LIMIT = 10 * 1024 * 1024  # bytes, when the interaction does not say
# Failures that are the user's (or their provider account's) to act on, for the Jobs metric.
_USER_CATEGORIES = frozenset(
    {
        "invalid_key",
        "quota_exhausted",
        "missing_permissions",
        "content_blocked",
        "bad_request",
        "daily_limit",
        "unknown_personality",
        "key_unreadable",
    }
)


# --- refusals: the user's own situation, answered privately ------------------------------------


class ImagineRefused(TzurotError):
    """A request this command declines before (or instead of) uploading; `str()` is the
    user-facing text, `category` names it in logs and metrics."""

    category = "refused"


class EmptyPrompt(ImagineRefused):
    category = "empty_prompt"

    def __init__(self):
        super().__init__("Tell me what to draw: the prompt is empty.")


class ImagesDisabled(ImagineRefused):
    category = "images_disabled"

    def __init__(self, personality: Personality):
        super().__init__(
            f"{personality.label} doesn't create images. Use `/imagine` without a personality "
            "to draw with your own key's default model."
        )


class ImageSettingsUnusable(ImagineRefused):
    category = "image_settings"

    def __init__(self, personality: Personality, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"{personality.label}'s image settings can't be used ({'; '.join(problems)}). "
            "Please tell the bot's operator."
        )


class NoImageKey(ImagineRefused):
    category = "no_key"

    def __init__(self, provider: str | None, personality: Personality | None = None):
        self.provider = provider
        stored = "It is stored encrypted and only used for your requests."
        if provider is None:
            names = ", ".join(errors.provider_name(name) for name in DEFAULT_MODELS)
            text = f"To create images, add your own API key for one of {names} with `/wallet set`."
        else:
            who = f" with {personality.label}" if personality else ""
            text = (
                f"To create images{who}, add your own {errors.provider_name(provider)} API key "
                "with `/wallet set`."
            )
        super().__init__(f"{text} {stored}")


class ImageLimitReached(ImagineRefused):
    category = "image_limit"

    def __init__(self, limit: int, frees_at: datetime):
        self.limit = limit
        self.frees_at = frees_at
        super().__init__(
            f"You have created {limit} images in the last hour, the most allowed. You can "
            f"create another <t:{int(frees_at.timestamp())}:R>."
        )


class ImageTooLarge(ImagineRefused):
    category = "image_too_large"

    def __init__(self, size: int, limit: int):
        super().__init__(
            f"The image came out at {size / 1_048_576:.1f} MB, more than the "
            f"{limit / 1_048_576:.1f} MB Discord accepts here. Try a smaller size."
        )


# --- what the job works with ------------------------------------------------------------------


@dataclass(frozen=True)
class UserImageState:
    """Step 3's answer."""

    user_id: str  # users.id uuid
    recent_images: list[datetime]  # their image requests within the last hour, oldest first
    usage_today: dict[str, int]
    key_providers: frozenset[str]  # providers with an active key


@dataclass(frozen=True)
class ImagePlan:
    """What will be asked of which provider (step 4)."""

    provider: str
    model: str
    size: str
    prompt: str
    negative_prompt: str | None = None
    advanced: dict[str, Any] = field(default_factory=dict)


_STATE = f"""SELECT u.id::text,
    (SELECT coalesce(array_agg(l."timestamp" ORDER BY l."timestamp"), '{{}}') FROM usage_logs l
     WHERE l.user_id = u.id AND l."timestamp" > %(image_since)s AND l.request_type = 'image'),
    {limits.usage_today_sql("u.id")},
    (SELECT coalesce(array_agg(k.provider::text), '{{}}') FROM user_api_keys k
     WHERE k.user_id = u.id AND k.is_active)
FROM users u WHERE u.discord_id = %(discord_id)s"""


def load_state(conn, discord_id: str, now: datetime) -> UserImageState | None:
    """Step 3 in one round trip; None for a user the bot has never stored anything for."""
    params = {"discord_id": discord_id, "image_since": now - HOUR, **limits.quota_params(now)}
    row = conn.execute(_STATE, params).fetchone()
    if row is None:
        return None
    user_id, recent, usage, providers = row
    return UserImageState(
        user_id=user_id,
        recent_images=list(recent),
        usage_today={source: int(tokens) for source, tokens in (usage or {}).items()},
        key_providers=frozenset(providers),
    )


def check_hourly_limit(recent: list[datetime], limit: int) -> None:
    """ImageLimitReached when `limit` (> 0) images were made within the hour; it says when the
    oldest one that counts leaves the window."""
    if limit > 0 and len(recent) >= limit:
        raise ImageLimitReached(limit, recent[len(recent) - limit] + HOUR)


def compose_prompt(prefix: str | None, prompt: str) -> str:
    """The personality's style first: "A pixel art style image of" + "a sunset". A trailing
    ellipsis on the prefix (as the proposal writes them) is dropped."""
    prefix = (prefix or "").strip().removesuffix("...").removesuffix("…").rstrip()
    return f"{prefix} {prompt}" if prefix else prompt


def plan_for(
    personality: Personality | None,
    providers: frozenset[str],
    options: dict[str, Any],
    catalog: ImageModels | None = None,
) -> ImagePlan:
    """Step 4: the validated plan, or a refusal saying what is missing. `catalog` (None: not
    asked) picks the default model and refuses a configured one it knows cannot draw."""
    from tzurot.params.validate import validate_image_params

    asked_size = str(options.get("size") or "").strip() or None
    prompt = str(options.get("prompt") or "").strip()
    if not prompt:
        raise EmptyPrompt()
    if personality is None:
        provider = next((name for name in DEFAULT_MODELS if name in providers), None)
        if provider is None:
            raise NoImageKey(None)
        model = (catalog and catalog.default(provider)) or DEFAULT_MODELS[provider]
        return ImagePlan(provider, model, asked_size or DEFAULT_SIZE, prompt)
    config = personality.image
    if config is None or not config.enabled:
        raise ImagesDisabled(personality)
    refusal = catalog and catalog.refusal(config.provider, config.model)
    if refusal:
        raise ImageSettingsUnusable(personality, [refusal])
    size = asked_size or config.default_size
    result = validate_image_params(config.provider, config.advanced_parameters, size=size)
    if not result.ok:
        raise ImageSettingsUnusable(personality, [str(error) for error in result.errors])
    advanced = dict(result.normalized["advanced_parameters"])
    prefix = advanced.pop("promptPrefix", None)
    negatives = [advanced.pop(key, None) for key in ("defaultNegativePrompt", "negativePrompt")]
    if asked_size:
        advanced.pop("aspectRatio", None)  # the size the user picked wins over the config's shape
    return ImagePlan(
        provider=config.provider,
        model=config.model,
        size=size,
        prompt=compose_prompt(prefix, prompt),
        negative_prompt=", ".join(n.strip() for n in negatives if n and n.strip()) or None,
        advanced=advanced,
    )


# --- the reply ---------------------------------------------------------------------------------


def upload(
    job: Job, personality: Personality | None, plan: ImagePlan, image: ImageResult
) -> tuple[dict, DiscordFile]:
    """The edit of the deferred message: an embed showing the attached file, and the file."""
    from tzurot.discord.rest import DiscordFile

    prompt = str(job.options.get("prompt") or "").strip()
    embed: dict[str, Any] = {
        "description": prompt[:4000],
        "image": {"url": f"attachment://{image.filename}"},
        "footer": {"text": f"{errors.provider_name(plan.provider)} · {plan.model}"[:2048]},
    }
    if personality is not None:
        embed = {"author": replies.author(personality), **embed}
    file = DiscordFile(image.filename, image.data, image.mime_type, description=prompt[:1024])
    return {"embeds": [embed], "allowed_mentions": replies.NO_MENTIONS}, file


class RecentImages:
    """Uploads this container made or tried, by interaction id, for a retry after Discord failed
    (see the module docstring). Few and short-lived: images are megabytes."""

    def __init__(self, size: int = 4, ttl: float = 900.0):
        self.size = size
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, tuple[dict, DiscordFile]]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, interaction_id: str, reply: tuple[dict, DiscordFile]) -> None:
        with self._lock:
            self._items[interaction_id] = (time.monotonic() + self.ttl, reply)
            self._items.move_to_end(interaction_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, interaction_id: str) -> tuple[dict, DiscordFile] | None:
        with self._lock:
            entry = self._items.get(interaction_id)
            if entry is None or entry[0] < time.monotonic():
                self._items.pop(interaction_id, None)
                return None
            return entry[1]

    def drop(self, interaction_id: str) -> None:
        with self._lock:
            self._items.pop(interaction_id, None)


recent_images = RecentImages()


# --- the job -----------------------------------------------------------------------------------


def handle(job: Job, ctx: JobContext) -> str:
    return ImagineJob(job, ctx).run()


class ImagineJob(ClaimedJob):
    """One /imagine job from claim to upload. Attributes fill in as it gets further, so a
    failure reply can use what is known (the personality's voice, the provider)."""

    kind = "imagine"

    def __init__(self, job: Job, ctx: JobContext):
        super().__init__(job, ctx)
        self.personality: Personality | None = None
        self.plan: ImagePlan | None = None
        self.user_id: str | None = None
        self.reserved = False

    def _work(self, conn, claim: idempotency.Claim) -> str:
        from tzurot.catalog.checks import ImageModels
        from tzurot.crypto.key_store import load_user_key
        from tzurot.personalities.repository import resolve

        job, ctx = self.job, self.ctx
        if claim.is_retry:
            ready = recent_images.get(job.interaction_id)
            if ready is not None:
                log.info("uploading the image an earlier attempt made")
                self._send(ready)
                idempotency.finish(conn, job.interaction_id, "done")
                return "ok"
        now = ctx.now()
        name = str(job.options.get("personality") or "").strip()
        self.personality = resolve(conn, name, viewer=job.user_id) if name else None
        state = load_state(conn, job.user_id, now)
        self.user_id = state.user_id if state else None
        self.plan = plan = plan_for(
            self.personality,
            state.key_providers if state else frozenset(),
            job.options,
            ImageModels(conn, now.date()),
        )
        if state is None or plan.provider not in state.key_providers:
            raise NoImageKey(plan.provider, self.personality)
        check_hourly_limit(state.recent_images, ctx.settings.image_hourly_limit)
        limits.evaluate(state.usage_today, "user", ctx.settings, now)
        api_key = load_user_key(conn, ctx.keyring, state.user_id, plan.provider)
        if api_key is None:  # switched off between the read and now
            raise NoImageKey(plan.provider, self.personality)
        protect(api_key)  # no piece of it in any log line of this job

        self._reserve(conn, state, now)  # limits hold under concurrency
        image = self._generate(plan, api_key)
        usage = UsageRecord(
            user_id=state.user_id,
            personality_id=str(self.personality.id) if self.personality else None,
            provider=plan.provider,
            model=plan.model,
            tokens_in=0,
            tokens_out=IMAGE_TOKENS,
            request_type="image",
            interaction_id=job.interaction_id,
        )
        paid.record(ctx, job, paid.PaidWrite(usage), conn)  # retried, or spooled: never lost
        limit = job.attachment_size_limit or DISCORD_UPLOAD_LIMIT
        if len(image.data) > limit:
            raise ImageTooLarge(len(image.data), limit)
        reply = upload(job, self.personality, plan, image)
        recent_images.put(job.interaction_id, reply)
        self._send(reply)
        return "ok"

    def _reserve(self, conn, state: UserImageState, now: datetime) -> None:
        """Check both limits and reserve one image and its tokens in one atomic step
        (tzurot.usage.reservations): jobs of one user running at once cannot all pass."""
        settings = self.ctx.settings
        token_limit, image_limit = settings.daily_token_limit, settings.image_hourly_limit
        if token_limit <= 0 and image_limit <= 0:
            return
        admission = reservations.reserve(
            conn,
            interaction_id=self.job.interaction_id,
            user_id=state.user_id,
            key_source="user",
            tokens=IMAGE_TOKENS,
            token_limit=max(token_limit, 0),
            quota_day=limits.utc_day(now)[0],
            images=1,
            image_limit=max(image_limit, 0),
            image_since=now - HOUR,
        )
        if admission.admitted:
            self.reserved = True
        elif admission.images_reached:
            recent = state.recent_images
            frees_at = recent[-image_limit] + HOUR if len(recent) >= image_limit else now + HOUR
            raise ImageLimitReached(image_limit, frees_at)
        else:
            used = admission.used + admission.reserved
            raise limits.QuotaExceeded(
                limits.Quota("user", token_limit, used, limits.utc_day(now)[1])
            )

    def _generate(self, plan: ImagePlan, api_key: str) -> ImageResult:
        from tzurot.observability import provider_timer
        from tzurot.providers.base import ImageRequest
        from tzurot.providers.registry import get_image_provider

        options = self.ctx.provider_options.get(plan.provider, {})
        provider = get_image_provider(plan.provider, self.ctx.settings, **options)
        request = ImageRequest(
            model=plan.model,
            prompt=plan.prompt,
            size=plan.size,
            negative_prompt=plan.negative_prompt if plan.provider == "openrouter" else None,
            advanced=plan.advanced,
        )
        with provider_timer(plan.provider):
            return provider.generate_image(api_key, request)

    def _send(self, reply: tuple[dict, DiscordFile]) -> None:
        payload, file = reply
        self.ctx.discord.edit_original(self.job.interaction_token, payload, files=[file])
        recent_images.drop(self.job.interaction_id)
        log.info(
            "image sent",
            extra={
                "reference": self.reference,
                "provider": self.plan.provider if self.plan else None,
                "bytes": len(file.content),
                "type": file.content_type,
            },
        )

    # --- failures -----------------------------------------------------------------------------

    def _fail(self, exc: Exception) -> str:
        from tzurot.providers.errors import InvalidKey, QuotaExhausted

        ctx, job = self.ctx, self.job
        provider = self.plan.provider if self.plan else None
        if self.reserved:  # the call failed or never happened: its reservation goes back
            best_effort(lambda: reservations.release(ctx.conn(), job.interaction_id))
        self._hand_back_if_passing(exc)
        if isinstance(exc, ImagineRefused):
            reply = errors.ErrorReply(
                exc.category, f"{exc}\n||ref: {self.reference}||", ephemeral=True
            )
        else:
            reply = errors.reply_for(
                exc, reference=self.reference, personality=self.personality, provider=provider
            )
            if isinstance(exc, InvalidKey | QuotaExhausted) and provider:
                self._tell_key_owner(exc, provider, reply.category)
        # A traceback only for what nobody expected (a bug); the rest is a known outcome.
        (log.exception if reply.category == "internal" else log.warning)(
            "imagine failed",
            extra={
                "reference": self.reference,
                "category": reply.category,
                "error": type(exc).__name__,
            },
        )
        if not replies.send_error(ctx.discord, job, reply, self.personality):
            log.error("could not deliver the error reply", extra={"reference": self.reference})
        best_effort(lambda: idempotency.finish(ctx.conn(), job.interaction_id, "failed"))
        recent_images.drop(job.interaction_id)
        user_side = isinstance(exc, ImagineRefused) or reply.category in _USER_CATEGORIES
        return "user_error" if user_side else "failed"

    def _tell_key_owner(self, exc: Exception, provider: str, category: str) -> None:
        """An invalid key is switched off (never replaced by the operator's). Both kinds get a
        DM besides the reply, where a bot token is configured: the reply may be missed."""
        from tzurot.crypto.key_store import deactivate
        from tzurot.providers.errors import InvalidKey

        if isinstance(exc, InvalidKey) and self.user_id:
            best_effort(lambda: deactivate(self.ctx.conn(), self.user_id, provider))
        if self.ctx.discord.has_bot_token:
            text = errors.CATEGORIES[category].default.format(
                provider=errors.provider_name(provider)
            )
            best_effort(lambda: self.ctx.discord.send_dm(self.job.user_id, {"content": text}))
