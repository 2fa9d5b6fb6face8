"""/wallet set|list|remove|test provider: a user's own provider API keys (all private).

`set` arrives as a modal submit whose key travels sealed (tzurot.crypto.transit). The key is
opened here, checked with one cheap authenticated call to the provider (a dry run:
tzurot.providers.validate_provider_key), and only a key that passes is stored, encrypted, as the
active key. A key that fails is not stored anywhere, and the reply says why: rejected, out of
credits, missing a permission, or the provider could not be reached.

`test` checks the saved key again: one that passes is switched back on; one the provider rejects
(invalid, or lacking a permission this app needs) is switched off, like a key that fails during
/chat. A key whose account is out of credits, or a provider that does not answer, leaves the
key's state as it was: nothing about the key itself is known to be wrong.

Replies never show a key, only its last four characters (`key_hint`).
"""

from __future__ import annotations

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Refusal, Reply, run
from tzurot.commands.errors import provider_name
from tzurot.discord.definitions import PROVIDERS
from tzurot.logs import get_logger

log = get_logger("tzurot.wallet")

NO_SEALED_KEY = (
    "No key arrived with this request, so nothing was saved. Please run `/wallet set` again."
)
UNREADABLE_SEALED_KEY = (
    "I couldn't read the key you sent (the form may be too old), so nothing was saved. "
    "Please run `/wallet set` again."
)


def handle(job, ctx) -> str:
    return run(job, ctx, _SUBCOMMANDS.get(job.subcommand or "", _unknown))


def _provider(call: AccountCall) -> str:
    provider = call.option("provider")
    if provider not in PROVIDERS:
        raise Refusal("Please pick a provider from the list.")
    return provider


# --- set --------------------------------------------------------------------------------------


def set_key(call: AccountCall) -> Reply:
    from tzurot.crypto.errors import TransitDecryptionFailed
    from tzurot.crypto.key_store import store_user_key
    from tzurot.crypto.transit import open_modal_secret

    provider, job = _provider(call), call.job
    if not job.sealed_key:
        raise Refusal(NO_SEALED_KEY)
    if call.ctx.transit is None:
        raise Refusal(UNREADABLE_SEALED_KEY)
    try:
        key = open_modal_secret(
            call.ctx.transit,
            job.sealed_key,
            user_id=job.user_id,
            provider=provider,
            interaction_id=job.interaction_id,
        )
    except TransitDecryptionFailed:
        log.warning("sealed key did not open", extra={"reference": call.reference})
        raise Refusal(UNREADABLE_SEALED_KEY) from None
    _check(call, provider, key, action="set")
    stored = store_user_key(call.conn, call.ctx.keyring, call.user.id, provider, key)
    log.info("key stored", extra={"reference": call.reference, "provider": provider})
    return Reply(
        f"Your {provider_name(provider)} key (ending in {fmt.inline_code(stored.key_hint)}) "
        "works and is saved, encrypted. It is used only for your own requests; see "
        "`/wallet list`."
    )


# --- list -------------------------------------------------------------------------------------


def list_keys(call: AccountCall) -> Reply:
    from tzurot.crypto.key_store import list_user_keys

    keys = list_user_keys(call.conn, call.user.id)
    if not keys:
        return Reply(
            "You have no API keys saved. Add one with `/wallet set`: it is checked with the "
            "provider, stored encrypted, and used only for your own requests."
        )
    lines = []
    for key in keys:
        state = "active" if key.is_active else "switched off (failed a check; see `/wallet test`)"
        hint = f"key ending in {fmt.inline_code(key.key_hint)}" if key.key_hint else "key saved"
        used = (
            f"last used {fmt.discord_time(key.last_used_at, 'R')}"
            if key.last_used_at
            else "not used yet"
        )
        added = f"added {fmt.discord_time(key.created_at, 'D')}"
        lines.append(f"**{provider_name(key.provider)}**: {state} · {hint} · {added} · {used}")
    text = "**Your API keys**\n" + fmt.bullets(lines)
    missing = [PROVIDERS[p] for p in PROVIDERS if p not in {k.provider for k in keys}]
    if missing:
        text += f"\nNo key for {', '.join(missing)}. Add one with `/wallet set`."
    return Reply(text)


# --- remove -----------------------------------------------------------------------------------


def remove_key(call: AccountCall) -> Reply:
    from tzurot.crypto.key_store import delete

    provider = _provider(call)
    name = provider_name(provider)
    if delete(call.conn, call.user.id, provider):
        log.info("key deleted", extra={"reference": call.reference, "provider": provider})
        return Reply(f"Your {name} key was deleted. Nothing of it is kept.")
    return Reply(f"You have no {name} key saved, so nothing changed.")


# --- test -------------------------------------------------------------------------------------


def retest_key(call: AccountCall) -> Reply:
    from tzurot.crypto.errors import DecryptionFailed
    from tzurot.crypto.key_store import activate, read_user_key

    provider = _provider(call)
    name = provider_name(provider)
    try:
        saved = read_user_key(call.conn, call.ctx.keyring, call.user.id, provider)
    except DecryptionFailed:
        _switch_off(call, provider)
        raise Refusal(
            f"Your saved {name} key can't be read any more, so it has been switched off. "
            "Please add it again with `/wallet set`."
        ) from None
    if saved is None:
        raise Refusal(f"You have no {name} key saved. Add one with `/wallet set`.")
    key, was_active = saved
    _check(call, provider, key, action="test")
    if not was_active and activate(call.conn, call.user.id, provider):
        log.info("key reactivated", extra={"reference": call.reference, "provider": provider})
        return Reply(f"Your {name} key works again, so it has been switched back on.")
    return Reply(f"Your {name} key works.")


# --- the provider check -----------------------------------------------------------------------


def _check(call: AccountCall, provider: str, key: str, *, action: str) -> None:
    """Dry-run `key` with the provider; a failure becomes a Refusal saying which one. For
    `test`, a key the provider rejects is switched off first."""
    from tzurot.providers import validate_provider_key
    from tzurot.providers.errors import InvalidKey, MissingPermissions, ProviderError

    options = call.ctx.provider_options.get(provider, {})
    try:
        validate_provider_key(provider, key, call.ctx.settings, **options)
    except ProviderError as exc:
        log.info(
            "key check failed",
            extra={"reference": call.reference, "provider": provider, "category": exc.category},
        )
        switched_off = action == "test" and isinstance(exc, InvalidKey | MissingPermissions)
        if switched_off:
            _switch_off(call, provider)
        raise Refusal(
            check_failure(provider, exc, action=action, switched_off=switched_off)
        ) from None


def _switch_off(call: AccountCall, provider: str) -> None:
    from tzurot.crypto.key_store import deactivate

    if deactivate(call.conn, call.user.id, provider):
        log.info("key switched off", extra={"reference": call.reference, "provider": provider})


def check_failure(provider: str, exc, *, action: str, switched_off: bool = False) -> str:
    """The reply for a failed key check. `action` "set": nothing was stored; "test": the saved
    key was checked (and `switched_off` when that deactivated it)."""
    name = provider_name(provider)
    key = "this key" if action == "set" else "your saved key"
    # Built from the error's class alone: the provider's words may echo pieces of the key.
    if exc.category == "invalid_key":
        what = f"{name} rejected {key} (invalid, revoked or expired)"
        fix = "check that you copied the whole key"
    elif exc.category == "quota_exhausted":
        what = f"{name} says the account behind {key} is out of credits or quota"
        fix = f"add credits or check your plan with {name}"
    elif exc.category == "missing_permissions":
        what = f"{key} lacks a permission it needs"
        fix = f"give the key that permission at {name}, or use an unrestricted key"
    elif exc.category == "rate_limited":
        what = f"{name} is rate limiting requests and couldn't check {key}"
        fix = "try again in a few minutes"
    elif exc.category == "unavailable":
        what = f"I couldn't reach {name} to check {key}"
        fix = "try again in a few minutes"
    else:
        what = f"{name} refused to check {key}"
        fix = "try again later"
    what = what[0].upper() + what[1:]
    if action == "set":
        return f"{what}, so nothing was saved. Please {fix}, then run `/wallet set` again."
    if switched_off:
        return f"{what}, so it has been switched off. Please {fix}, then add it with `/wallet set`."
    return f"{what}. The key stays as it was; please {fix}."


def _unknown(call: AccountCall) -> Reply:
    raise Refusal("Sorry, I don't know that `/wallet` command. Try `/help`.")


_SUBCOMMANDS = {"set": set_key, "list": list_keys, "remove": remove_key, "test": retest_key}
