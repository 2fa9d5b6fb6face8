"""/chat personality message: a user talks to a personality and gets its answer, paid with
their own key.

One warm turn is six database round trips (five with no daily limit) and no KMS call:

1. claim the interaction (tzurot.jobs.idempotency): a redelivered job stops here;
2. resolve the personality by name, slug or alias (with its default LLM config);
3. one statement for everything about the user: upsert the user row (first contact creates
   it), their timezone, their config layers, the conversation's recent history (joined with
   users, for who asked each question) and today's token usage;
4. the user's key for the effective provider (decrypted in memory; the master key is cached);
5. before the call, when a daily limit is set: check and reserve the call's estimated tokens
   atomically (tzurot.usage.reservations), so jobs of one user running at once cannot all
   pass the limit;
6. after the provider answered: the usage row, the two history rows, the reservation settled
   and 'done', as one statement (tzurot.commands.paid: retried, then spooled through SQS when
   the database is away, so a paid call is never lost), written together or not at all.

Long-term memory (tzurot.memory, for personalities with it on) adds at most one: its full-text
recall rides in step 3, the vector recall after the embedding of the message is one query
(only when the user's provider has embeddings and the call worked), and the turn's memory and
the embedding's usage row join step 6.

Then the deferred message is edited into the answer (followups for long ones, each recorded
once it arrived; a message command's answer may instead be a real reply in the channel:
tzurot.commands.channel_reply), and, when the personality has a voice, spoken
(tzurot.commands.voice). If Discord fails at that point the claim is released and SQS
delivers the job again; the retry finds the committed answer in the history and only sends
the parts still missing (no second provider call, usage row or history row, no part shown
twice). Failures become replies (tzurot.commands.errors); a retryable one is retried through
SQS and, on the last receive, still answered, so no request ends in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from tzurot.commands import (
    errors,
    history,
    images_in,
    linked_messages,
    message_replies,
    paid,
    replies,
    streamed_answer,
    voice,
)
from tzurot.commands.account import USER_CTES
from tzurot.commands.channel_reply import answer_surface
from tzurot.commands.claimed import ClaimedJob, best_effort
from tzurot.commands.config_resolution import (
    DEFAULT_HISTORY,
    EffectiveConfig,
    Layer,
    NoModel,
    UserLayers,
    effective_config,
    guest_config,
    user_layers_sql,
    validate,
)
from tzurot.commands.context import JobContext
from tzurot.commands.prompt import build_prompt
from tzurot.commands.replies import DeferredAnswer
from tzurot.db.compose import Statement
from tzurot.errors import TzurotError
from tzurot.jobs import idempotency
from tzurot.key_fragments import protect
from tzurot.logs import get_logger
from tzurot.memory import store as memory_store
from tzurot.memory.recall import TurnMemory
from tzurot.memory.settings import MemoryPolicy
from tzurot.providers.errors import UnreadableAnswer
from tzurot.usage import limits, reservations
from tzurot.usage.ledger import KeySource, UsageRecord

if TYPE_CHECKING:
    from tzurot.jobs.model import Job
    from tzurot.personalities.model import Personality

log = get_logger("tzurot.chat")


@dataclass(frozen=True)
class UserState:
    """Step 3's answer."""

    user_id: str  # users.id uuid
    timezone: str
    layers: UserLayers
    history: list[history.HistoryMessage]
    usage_today: dict[str, int]
    memories: list[memory_store.Memory] | None = None  # full-text recall; None: memory off


def state_statement(job: Job, personality: Personality, now: datetime) -> Statement:
    """Step 3 as one statement. A user seen for the first time is created here; the UPDATE keeps
    the username current without rewriting the row when nothing changed."""
    default_history = personality.llm.max_conversation_history if personality.llm else None
    policy = MemoryPolicy.of(personality)
    # The legacy per-user config, when there is one, also decides the history length; LIMIT
    # cannot refer to the outer row, so this subquery reads the `usr` CTE itself.
    history_limit = """coalesce((SELECT c.max_conversation_history FROM usr
            JOIN user_personality_configs u ON u.user_id = usr.id
                 AND u.personality_id = %(config_personality_id)s
            JOIN llm_configs c ON c.id = u.llm_config_id), %(history_default)s)"""
    sql = f"""WITH {USER_CTES}
SELECT usr.id::text, usr.timezone,
       {user_layers_sql("usr.id")},
       {history.recent_sql(history_limit)},
       {limits.usage_today_sql("usr.id")},
       {memory_store.state_sql("usr.id", history_limit)}
FROM usr"""
    return Statement(
        sql,
        {
            "discord_id": job.user_id,
            "username": job.username[:255],
            "config_personality_id": str(personality.id),
            "history_default": default_history if default_history is not None else DEFAULT_HISTORY,
            **history.history_params(conversation_id(job), str(personality.id)),
            **limits.quota_params(now),
            **memory_store.state_params(
                on=policy.active,
                personality_id=str(personality.id),
                query=str(job.options.get("message", "")),
                limit=policy.limit,
            ),
        },
    )


def load_state(conn, job: Job, personality: Personality, now: datetime) -> UserState:
    statement = state_statement(job, personality, now)
    row = conn.execute(statement.sql, dict(statement.params)).fetchone()
    if row is None:
        # The user's first two jobs ran at once: the other one inserted the row after this
        # statement's snapshot was taken. It is visible now.
        row = conn.execute(statement.sql, dict(statement.params)).fetchone()
    user_id, timezone, layers, recent, usage, recalled = row
    return UserState(
        user_id=user_id,
        timezone=timezone,
        layers=UserLayers.from_json(layers),
        history=history.parse(recent),
        usage_today={source: int(tokens) for source, tokens in (usage or {}).items()},
        memories=None if recalled is None else memory_store.parse(recalled),
    )


def conversation_id(job: Job) -> str:
    """History is kept per channel; a job without one (never seen from Discord) keys on the user."""
    return job.channel_id or job.user_id


def handle(job: Job, ctx: JobContext) -> str:
    return ChatTurn(job, ctx).run()


class ChatTurn(ClaimedJob):
    """One /chat job from claim to reply. Attributes fill in as the turn gets further, so a
    failure reply can use what is known (the personality's voice, the provider)."""

    kind = "chat"

    def __init__(self, job: Job, ctx: JobContext):
        super().__init__(job, ctx)
        self.personality: Personality | None = None
        self.config: EffectiveConfig | None = None
        self.key_source: KeySource = "user"
        self.user_id: str | None = None
        self.reserved = False
        self.surface: replies.AnswerSurface = DeferredAnswer(ctx.discord, job)  # set on claim

    # --- the turn -------------------------------------------------------------------------

    def _work(self, conn, claim: idempotency.Claim) -> str:
        from tzurot.personalities.repository import resolve

        job, ctx = self.job, self.ctx
        now = ctx.now()
        self.surface = answer_surface(
            ctx.discord,
            job,
            message_id=claim.answer_message_id,
            retry=claim.is_retry,
            record=self._record_answer_message,
        )
        name = str(job.options.get("personality", "")).strip()
        message = message_replies.turn_text(job, str(job.options.get("message", "")).strip())
        self.personality = personality = resolve(conn, name, viewer=job.user_id)
        if not message:  # Discord's min_length counts spaces: "   " arrives as nothing
            raise EmptyMessage()
        if claim.is_retry:
            answer = history.committed_answer(
                conn, conversation_id(job), str(personality.id), job.interaction_id
            )
            if answer is not None:
                log.info(
                    "resending the answer an earlier attempt committed",
                    extra={"parts_already_sent": claim.replies_sent},
                )
                replies.send_answer(
                    self.surface,
                    personality,
                    answer,
                    already_sent=claim.replies_sent,
                    progress=self._record_replies,
                )
                voice.speak(self, answer, retry=True)
                idempotency.finish(conn, job.interaction_id, "done")
                return "ok"

        state = load_state(conn, job, personality, now)
        self.user_id = state.user_id
        try:
            self.config = effective_config(Layer.from_llm_config(personality.llm), state.layers)
        except NoModel:
            if not ctx.settings.guest_mode_enabled:
                raise
            self.config = None  # nothing to look a user key up for: guest mode answers
        api_key = self._api_key(conn, state, self.config)
        protect(api_key)  # no piece of it in any log line of this job
        config = self.config  # guest mode may have replaced it
        limits.evaluate(state.usage_today, self.key_source, ctx.settings, now)

        linked = linked_messages.read(ctx.discord, job, message, config.max_referenced_messages)
        shown = images_in.for_turn(
            conn,
            [
                *(job.images or ()),
                *message_replies.target_images(conn, ctx.discord, job),
                *linked.images,
            ],
            ctx.settings,
            config.provider,
            config.model,
        )
        speaker = job.display_name or job.username
        memory = TurnMemory(
            ctx, personality, state.memories, provider=config.provider, key_source=self.key_source
        )
        recalled = memory.recall(
            conn,
            api_key,
            user_id=state.user_id,
            channel_id=conversation_id(job),
            message=message,
            window=len(state.history),
        )
        prompt = build_prompt(
            personality,
            state.history,
            message,
            now=now,
            timezone=state.timezone,
            speaker=speaker,
            referenced=linked.messages,
            recalled=memory.block(recalled, speaker=speaker, timezone=state.timezone),
            images=shown.images,
            notes=shown.notes,
        )
        self._reserve(conn, state.user_id, prompt, now)  # limits hold under concurrency
        try:
            result = self._call(config, api_key, prompt)
        except UnreadableAnswer:  # paid all the same: recorded, then answered as a failure
            paid.record(ctx, job, paid.PaidWrite(self._usage(state.user_id, None)), conn)
            raise
        write = paid.PaidWrite(
            self._usage(state.user_id, result),
            turn={
                "channel_id": conversation_id(job),
                "personality_id": str(personality.id),
                "user_id": state.user_id,
                "interaction_id": job.interaction_id,
                "question": message,
                "answer": result.text,
            },
            extra=tuple(
                memory.statements(
                    user_id=state.user_id,
                    interaction_id=job.interaction_id,
                    channel_id=conversation_id(job),
                    speaker=speaker,
                    question=message,
                    answer=result.text,
                    key_source=self.key_source,
                    now=now,
                )
            ),
        )
        paid.record(ctx, job, write, conn)  # retried, or spooled through SQS: never lost
        replies.send_answer(self.surface, personality, result.text, progress=self._record_replies)
        voice.speak(self, result.text, retry=claim.is_retry)
        log.info(
            "answered",
            extra={
                "reference": self.reference,
                "provider": config.provider,
                "tokens_in": result.tokens_in,
                "tokens_out": result.tokens_out,
                "key_source": self.key_source,
            },
        )
        return "ok"

    def _reserve(self, conn, user_id: str, prompt, now: datetime) -> None:
        """Check the daily limit and reserve this call's estimated tokens in one atomic step
        (tzurot.usage.reservations); QuotaExceeded when other jobs in flight fill it."""
        limit = limits.daily_limit(self.ctx.settings, self.key_source)
        if limit <= 0 or self.config is None:
            return
        chars = len(prompt.system) + sum(len(m.content) for m in prompt.messages)
        admission = reservations.reserve(
            conn,
            interaction_id=self.job.interaction_id,
            user_id=user_id,
            key_source=self.key_source,
            tokens=reservations.estimate_tokens(chars, self.config.max_tokens),
            token_limit=limit,
            quota_day=limits.utc_day(now)[0],
        )
        if not admission.admitted:
            used = admission.used + admission.reserved
            quota = limits.Quota(self.key_source, limit, used, limits.utc_day(now)[1])
            raise limits.QuotaExceeded(quota)
        self.reserved = True

    def _usage(self, user_id: str, result) -> UsageRecord:
        """The usage row of this call; `result` None: the answer could not be read."""
        config = self.config
        assert config is not None and self.personality is not None
        return UsageRecord(
            user_id=user_id,
            personality_id=str(self.personality.id),
            provider=config.provider,
            model=config.model,
            tokens_in=result.tokens_in if result else 0,
            tokens_out=result.tokens_out if result else 0,
            key_source=self.key_source,
            interaction_id=self.job.interaction_id,
            counts_note=result.counts_note if result else "unreadable",
        )

    def _record_replies(self, sent: int) -> None:
        """Best effort: if it cannot be written, a retry may only show a part twice."""
        best_effort(
            lambda: idempotency.record_replies(self.ctx.conn(), self.job.interaction_id, sent)
        )

    def _record_answer_message(self, message_id: str) -> None:
        """Best effort: if it cannot be written, a retry finds the reply by its nonce."""
        best_effort(
            lambda: idempotency.record_answer_message(
                self.ctx.conn(), self.job.interaction_id, message_id
            )
        )

    def _api_key(self, conn, state: UserState, config: EffectiveConfig | None) -> str:
        """The user's key for the provider; else the operator's guest key when guest mode is
        configured; else NoKey. Never the guest key for a user whose own key failed: a failed
        key is switched off, and while it is, KeyInactive tells them so instead (until they add
        a working key, test it back on, or remove it)."""
        from tzurot.crypto.key_store import use_user_key

        settings = self.ctx.settings
        if config is not None:
            key = use_user_key(conn, self.ctx.keyring, state.user_id, config.provider)
            if key is not None:
                return key
            if not settings.guest_mode_enabled:
                raise NoKey(config.provider)
        self.key_source = "guest"
        self.config = validate(guest_config(config, settings.guest_provider, settings.guest_model))
        return settings.guest_api_key

    def _call(self, config: EffectiveConfig, api_key: str, prompt) -> Any:
        from tzurot.observability import provider_timer, record_tokens
        from tzurot.providers.base import ChatRequest
        from tzurot.providers.registry import get_text_provider

        options = self.ctx.provider_options.get(config.provider, {})
        provider = get_text_provider(config.provider, self.ctx.settings, **options)
        request = ChatRequest(
            model=config.model,
            system=prompt.system,
            messages=prompt.messages,
            temperature=config.temperature,
            top_p=config.top_p,
            max_tokens=config.max_tokens,
            advanced=dict(config.advanced_parameters),
        )
        with provider_timer(config.provider):
            result = streamed_answer.generate(
                provider, api_key, request, surface=self.surface, personality=self.personality
            )
        record_tokens(config.provider, prompt=result.tokens_in, completion=result.tokens_out)
        return result

    # --- failures -------------------------------------------------------------------------

    def _fail(self, exc: Exception) -> str:
        from tzurot.providers.errors import InvalidKey, ProviderError, QuotaExhausted

        ctx, job = self.ctx, self.job
        provider = self.config.provider if self.config else None
        if self.reserved:  # the call failed or never happened: its reservation goes back
            best_effort(lambda: reservations.release(ctx.conn(), job.interaction_id))
        self._hand_back_if_passing(exc)

        if isinstance(exc, Refusal):
            reply = errors.error_reply(
                exc.category,
                reference=self.reference,
                personality=self.personality,
                provider=exc.provider or provider,
            )
        elif isinstance(exc, ProviderError) and self.key_source == "guest":
            # The operator's key: nothing for the user to fix, nothing to switch off.
            log.error(
                "guest provider call failed",
                extra={"reference": self.reference, "category": exc.category},
            )
            category = "content_blocked" if exc.category == "content_blocked" else "unavailable"
            reply = errors.error_reply(
                category,
                reference=self.reference,
                personality=self.personality,
                provider=provider,
            )
        else:
            reply = errors.reply_for(
                exc, reference=self.reference, personality=self.personality, provider=provider
            )
            if isinstance(exc, InvalidKey | QuotaExhausted):
                self.tell_owner_of_key(exc, provider)
        # A traceback only for what nobody expected (a bug); the rest is a known outcome.
        (log.exception if reply.category == "internal" else log.warning)(
            "chat failed",
            extra={
                "reference": self.reference,
                "category": reply.category,
                "error": type(exc).__name__,
            },
        )
        self._send_error(reply)
        best_effort(lambda: idempotency.finish(ctx.conn(), job.interaction_id, "failed"))
        return "user_error" if reply.category in _USER_CATEGORIES else "failed"

    def tell_owner_of_key(self, exc: Exception, provider: str | None) -> None:
        """Invalid key: switch it off. Both kinds: a DM (bot token) besides the reply."""
        from tzurot.crypto.key_store import deactivate
        from tzurot.providers.errors import InvalidKey

        name = errors.provider_name(provider)
        if isinstance(exc, InvalidKey) and self.user_id and provider:
            best_effort(lambda: deactivate(self.ctx.conn(), self.user_id, provider))
            text = (
                f"Your {name} API key was rejected (invalid, revoked or expired), so it has "
                "been switched off. Add a working key with `/wallet set`."
            )
        else:
            text = (
                f"Your {name} account is out of credits or quota. Check your plan and billing "
                f"with {name}; your key stays saved."
            )
        if self.ctx.discord.has_bot_token:
            best_effort(lambda: self.ctx.discord.send_dm(self.job.user_id, {"content": text}))

    def _send_error(self, reply: errors.ErrorReply) -> None:
        if not replies.send_error(self.ctx.discord, self.job, reply, self.personality):
            log.error("could not deliver the error reply", extra={"reference": self.reference})


class Refusal(TzurotError):
    """A /chat the worker answers without calling the provider; `category` names the reply
    (tzurot.commands.errors.CATEGORIES)."""

    category: ClassVar[str]
    provider: str | None = None


class NoKey(Refusal):
    """The user has no active key for the provider and guest mode is off."""

    category = "no_key"

    def __init__(self, provider: str):
        self.provider = provider
        super().__init__(f"no active {provider} key")


class EmptyMessage(Refusal):
    """The message option holds nothing but whitespace."""

    category = "empty_message"

    def __init__(self):
        super().__init__("the message is empty")


_USER_CATEGORIES = frozenset(
    {
        "no_key",
        "key_inactive",
        "empty_message",
        "daily_limit",
        "guest_limit",
        "config",
        "unknown_personality",
        "invalid_key",
        "quota_exhausted",
        "missing_permissions",
        "content_blocked",
        "bad_request",
    }
)
