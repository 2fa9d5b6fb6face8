"""/privacy export | delete: everything stored about the user, as a file or erased.

`export` sends one JSON file (one query): the user row, their API keys as hints only (provider,
last four characters, state; never the encrypted key), settings, overrides, the characters they
made (/character), memory switches, memories (text, date, embedding model; not the vectors),
the conversation messages they wrote and the answers to them, and their usage. `delete` asks
first (Delete / Cancel buttons, tzurot.discord.components); on Delete their conversation rows are
removed and then the user row, which cascades to everything else (their characters too, with
everyone's history and memories with them). Neither creates a user row for someone never seen.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime

from tzurot.commands import formatting as fmt
from tzurot.commands.account import AccountCall, Reply, dispatch
from tzurot.discord import components

DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024  # Discord's smallest upload limit

_EXPORT = """SELECT jsonb_build_object(
    'user', jsonb_build_object('discord_id', u.discord_id, 'username', u.username,
                               'timezone', u.timezone, 'created_at', u.created_at,
                               'updated_at', u.updated_at),
    'api_keys', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'provider', k.provider, 'key_hint', k.key_hint, 'is_active', k.is_active,
                     'key_version', k.key_version, 'last_used_at', k.last_used_at,
                     'created_at', k.created_at) ORDER BY k.provider), '[]')
                 FROM user_api_keys k WHERE k.user_id = u.id),
    'config_overrides', (SELECT coalesce(jsonb_agg(to_jsonb(o) - 'user_id' - 'id'
                             ORDER BY o.created_at), '[]')
                         FROM user_config_overrides o WHERE o.user_id = u.id),
    'personality_configs', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                'personality', p.slug, 'llm_config', c.name)), '[]')
                            FROM user_personality_configs x
                            JOIN personalities p ON p.id = x.personality_id
                            JOIN llm_configs c ON c.id = x.llm_config_id
                            WHERE x.user_id = u.id),
    'own_llm_configs', (SELECT coalesce(jsonb_agg(to_jsonb(c) - 'owner_id'), '[]')
                        FROM llm_configs c WHERE c.owner_id = u.id),
    'characters', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'name', c.name, 'slug', c.slug, 'visibility', c.visibility,
                       'created_at', c.created_at) ORDER BY c.created_at), '[]')
                   FROM personalities c WHERE c.owner_id = u.id),
    'memory_settings', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                            'personality', p.slug, 'enabled', s.enabled,
                            'updated_at', s.updated_at)), '[]')
                        FROM memory_settings s LEFT JOIN personalities p
                             ON p.id = s.personality_id
                        WHERE s.user_id = u.id),
    'memories', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'id', m.id, 'personality', p.slug, 'content', m.content,
                     'created_at', m.created_at, 'channel_id', m.source_channel_id,
                     'embedding_model', m.embedding_model, 'dims', m.dims) ORDER BY m.id), '[]')
                 FROM memories m JOIN personalities p ON p.id = m.personality_id
                 WHERE m.user_id = u.id),
    'conversation_messages', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                  'channel_id', h.channel_id, 'personality', p.slug,
                                  'role', h.role, 'content', h.content,
                                  'created_at', h.created_at) ORDER BY h.id), '[]')
                              FROM conversation_messages h
                              JOIN personalities p ON p.id = h.personality_id
                              WHERE h.user_id = u.id),
    'usage', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                  'timestamp', l."timestamp", 'personality', p.slug, 'provider', l.provider,
                  'model', l.model, 'request_type', l.request_type, 'tokens_in', l.tokens_in,
                  'tokens_out', l.tokens_out, 'key_source', l.key_source) ORDER BY l.id), '[]')
              FROM usage_logs l LEFT JOIN personalities p ON p.id = l.personality_id
              WHERE l.user_id = u.id)
) FROM users u WHERE u.discord_id = %s"""


def handle(job, ctx) -> str:
    return dispatch(job, ctx, _SUBCOMMANDS, confirmed=_delete_confirmed)


def _known(call: AccountCall) -> bool:
    row = call.conn.execute("SELECT 1 FROM users WHERE discord_id = %s", (call.job.user_id,))
    return row.fetchone() is not None


def _export(call: AccountCall) -> Reply:
    from tzurot.discord.rest import DiscordFile

    row = call.conn.execute(_EXPORT, (call.job.user_id,)).fetchone()
    if row is None:
        return Reply("Nothing is stored about you.")
    document = {"exported_at": call.ctx.now().isoformat(), **row[0]}
    data = json.dumps(document, ensure_ascii=False, indent=2, default=_text).encode()
    name = f"tzurot-data-{call.job.user_id}.json"
    limit = call.job.attachment_size_limit or DEFAULT_ATTACHMENT_LIMIT
    if len(data) > limit:
        data, name = gzip.compress(data), name + ".gz"
    if len(data) > limit:
        return Reply(
            f"Your data is {len(data) // 1024:,} KB even compressed, more than Discord lets me "
            "send here. Try again in a DM with the bot, or ask the operator for a copy."
        )
    return Reply(
        "Everything stored about you is in the attached file (API keys as hints only).",
        files=(DiscordFile(name, data, "application/json"),),
    )


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _delete(call: AccountCall) -> Reply:
    if not _known(call):
        return Reply("Nothing is stored about you.")
    issued = int(call.ctx.now().timestamp())
    return Reply(
        "Erase everything stored about you: API keys, settings, memories, the characters you "
        "made (with everyone's conversations with them), your conversation history and usage "
        "records? This cannot be undone. "
        f"(The button works for {components.CONFIRM_SECONDS // 60} minutes.)",
        components=tuple(
            components.confirmation_row(
                "privacy-delete", components.ALL, call.job.user_id, issued, "Erase my data"
            )
        ),
    )


def _delete_confirmed(call: AccountCall) -> Reply:
    with call.conn.transaction():
        messages = call.conn.execute(
            "DELETE FROM conversation_messages WHERE user_id IN "
            "(SELECT id FROM users WHERE discord_id = %s)",
            (call.job.user_id,),
        ).rowcount
        users = call.conn.execute(
            "DELETE FROM users WHERE discord_id = %s", (call.job.user_id,)
        ).rowcount
    if users == 0:
        return Reply("There was nothing left to erase.", components=())
    return Reply(
        "Erased everything stored about you "
        f"(including {fmt.plural(messages, 'conversation message')}). Using the app again "
        "starts a new record.",
        components=(),
    )


_SUBCOMMANDS = {"export": _export, "delete": _delete}
