"""REST routes of the fake. To add one: write `async def handler(s, req, *path_params)` and decorate it
with `@route("METHOD", "/path/{param}")`; return a JSON-able body, `(status, body)`, or None for 204,
or raise `DiscordError`. Unknown routes are answered 404 AND recorded so the fixture fails the test.
"""
from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

from aiohttp import web

from . import limits
from . import permissions as P
from .server import DiscordError, FakeServer, Req, invalid_form_body, json_response, template_regex
from .state import (
    DM, GUILD_TEXT, PRIVATE_THREAD, PUBLIC_THREAD, AppCommand, FakeChannel, FakeMessage, InteractionRecord,
    iso_now, snowflake,
)

Handler = Callable[..., Awaitable[Any]]
ROUTES: list[tuple[str, str, re.Pattern[str], Handler]] = []

INTERACTION_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60
EPHEMERAL, LOADING = 1 << 6, 1 << 7
MENTION_RX = re.compile(r"<@!?(\d+)>")
ROLE_MENTION_RX = re.compile(r"<@&(\d+)>")


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        ROUTES.append((method, template, template_regex(template), fn))
        return fn
    return deco


# --------------------------------------------------------------------------- helpers
def build_attachments(s: FakeServer, msg_id: int, payload: dict[str, Any], files: list[tuple[str, bytes, str]],
                      keep: list[dict[str, Any]] | None = None) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Turn multipart `files[n]` + payload `attachments` into Discord attachment objects."""
    out: list[dict[str, Any]] = []
    blobs: dict[str, bytes] = {}
    meta = {str(a.get("id")): a for a in payload.get("attachments") or []}
    existing = {str(a["id"]): a for a in keep or []}
    for key, a in meta.items():
        if key in existing:
            out.append(existing[key])
    for index, (filename, data, ctype) in enumerate(files):
        info = meta.get(str(index), {})
        name = info.get("filename") or filename
        att = {
            "id": str(snowflake()), "filename": name, "size": len(data),
            "url": f"{s.base_url}/attachments/{msg_id}/{name}", "proxy_url": f"{s.base_url}/attachments/{msg_id}/{name}",
            "content_type": ctype or "application/octet-stream",
        }
        if info.get("description"):
            att["description"] = info["description"]
        out.append(att)
        blobs[name] = data
    return out, blobs


def check_message_payload(payload: dict[str, Any], n_files: int, *, edit: bool = False) -> None:
    errors = limits.message_errors(payload)
    if errors:
        raise invalid_form_body(errors)
    if not edit and limits.is_empty_message(payload, n_files):
        raise DiscordError(400, 50006, "Cannot send an empty message")


def parse_mentions(s: FakeServer, content: str, allowed: dict[str, Any] | None) -> tuple[list[int], list[int]]:
    """Users/roles that Discord would actually mention, honouring allowed_mentions."""
    users = [int(u) for u in MENTION_RX.findall(content or "") if int(u) in s.users]
    roles = [int(r) for r in ROLE_MENTION_RX.findall(content or "")]
    if allowed is not None:
        parse = allowed.get("parse") or []
        users = [u for u in users if "users" in parse or str(u) in (allowed.get("users") or [])]
        roles = [r for r in roles if "roles" in parse or str(r) in (allowed.get("roles") or [])]
    return list(dict.fromkeys(users)), list(dict.fromkeys(roles))


async def create_bot_message(s: FakeServer, channel: FakeChannel, req: Req, *, flags: int = 0,
                             interaction: InteractionRecord | None = None, msg_type: int = 0,
                             payload: dict[str, Any] | None = None) -> FakeMessage:
    """Validate + store + dispatch a message authored by the bot (REST, interaction reply or follow-up)."""
    payload = req.body if payload is None else payload
    if not flags & LOADING:
        check_message_payload(payload, len(req.files))
    msg_id = snowflake()
    attachments, blobs = build_attachments(s, msg_id, payload, req.files)
    allowed = payload.get("allowed_mentions")
    mentions, role_mentions = parse_mentions(s, payload.get("content") or "", allowed)
    flags |= int(payload.get("flags") or 0)
    ref = payload.get("message_reference")
    if ref is not None:
        ref_id = int(ref.get("message_id", 0))
        if ref_id not in s.messages and ref.get("fail_if_not_exists", True):
            raise invalid_form_body({"message_reference": {"_errors": [
                {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]}})
        ref = {"type": 0, "message_id": str(ref_id), "channel_id": str(channel.id),
               **({"guild_id": str(channel.guild_id)} if channel.guild_id else {})}
    msg = FakeMessage(
        id=msg_id, channel_id=channel.id, guild_id=channel.guild_id, author=s.bot_user,
        content=payload.get("content") or "", embeds=list(payload.get("embeds") or []),
        components=list(payload.get("components") or []), attachments=attachments, files=blobs,
        allowed_mentions=allowed, flags=flags, type=msg_type, mention_ids=mentions, mention_role_ids=role_mentions,
        webhook_id=s.application_id if interaction is not None else None,
        interaction_id=interaction.id if interaction is not None else None, message_reference=ref, raw=payload,
    )
    store_message(s, msg)
    if not msg.flags & LOADING:
        await s.note_bot_post(msg)
    await s.emit_message("MESSAGE_CREATE", msg)
    return msg


def store_message(s: FakeServer, msg: FakeMessage) -> None:
    s.messages[msg.id] = msg
    s.channel_messages.setdefault(msg.channel_id, []).append(msg.id)
    channel = s.channels.get(msg.channel_id)
    if channel is not None and not msg.ephemeral:
        channel.last_message_id = msg.id
        if channel.is_thread:
            channel.message_count += 1


async def edit_bot_message(s: FakeServer, msg: FakeMessage, req: Req) -> FakeMessage:
    payload = req.body
    check_message_payload(payload, len(req.files), edit=True)
    was_loading = bool(msg.flags & LOADING)
    if "content" in payload:
        msg.content = payload["content"] or ""
    if "embeds" in payload:
        msg.embeds = list(payload["embeds"] or [])
    if "components" in payload:
        msg.components = list(payload["components"] or [])
    if "allowed_mentions" in payload:
        msg.allowed_mentions = payload["allowed_mentions"]
    if "attachments" in payload or req.files:
        msg.attachments, blobs = build_attachments(s, msg.id, payload, req.files, keep=msg.attachments)
        msg.files.update(blobs)
    if "flags" in payload and payload["flags"] is not None:
        msg.flags = (msg.flags & (EPHEMERAL | LOADING)) | int(payload["flags"])
    msg.flags &= ~LOADING
    msg.mention_ids, msg.mention_role_ids = parse_mentions(s, msg.content, msg.allowed_mentions)
    msg.raw = {**msg.raw, **payload}
    msg.edited_timestamp = None if was_loading else iso_now()
    if was_loading:
        await s.note_bot_post(msg)
    else:
        await s.notify()
    await s.emit_message("MESSAGE_UPDATE", msg)
    return msg


async def delete_message(s: FakeServer, msg: FakeMessage) -> None:
    msg.deleted = True
    await s.notify()
    if msg.ephemeral:
        return
    payload = {"id": str(msg.id), "channel_id": str(msg.channel_id),
               **({"guild_id": str(msg.guild_id)} if msg.guild_id else {})}
    channel = s.channels.get(msg.channel_id)

    def transform(intents: int) -> dict[str, Any] | None:
        if channel is None or not s.can_view(s.bot_user.id, channel):
            return None
        return payload

    await s.gateway.dispatch("MESSAGE_DELETE", transform)


def require_send(s: FakeServer, channel: FakeChannel) -> None:
    """Discord's checks before a bot may post in a channel."""
    if channel.type == DM:
        user = s.dm_recipient(channel)
        if user.dms_closed or user.bot:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        return
    perms = s.require_view(channel)
    bit = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
    if not perms & bit:
        raise DiscordError(403, 50013, "Missing Permissions")
    if channel.is_thread and channel.archived:
        if channel.locked and not perms & P.MANAGE_THREADS:
            raise DiscordError(400, 50083, "Thread is archived")


# --------------------------------------------------------------------------- identity
@route("GET", "/users/@me")
async def get_me(s: FakeServer, req: Req) -> Any:
    return {**s.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"}


@route("GET", "/oauth2/applications/@me")
async def get_app(s: FakeServer, req: Req) -> Any:
    return {
        "id": str(s.application_id), "name": s.bot_user.username, "icon": None, "description": "fake",
        "bot_public": False, "bot_require_code_grant": False, "owner": s.app_owner.payload(), "team": None,
        "verify_key": "0" * 64, "flags": 0, "summary": "", "rpc_origins": [], "tags": [],
    }


@route("GET", "/applications/@me")
async def get_app2(s: FakeServer, req: Req) -> Any:
    return await get_app(s, req)


@route("GET", "/gateway")
async def get_gateway(s: FakeServer, req: Req) -> Any:
    return {"url": s.gateway_url.rstrip("/")}


@route("GET", "/gateway/bot")
async def get_gateway_bot(s: FakeServer, req: Req) -> Any:
    return {"url": s.gateway_url.rstrip("/"), "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}


@route("GET", "/users/{user_id}")
async def get_user(s: FakeServer, req: Req, user_id: str) -> Any:
    user = s.users.get(int(user_id)) if user_id.isdigit() else None
    if user is None:
        raise DiscordError(404, 10013, "Unknown User")
    return user.payload()


@route("POST", "/users/@me/channels")
async def create_dm(s: FakeServer, req: Req) -> Any:
    rid = req.body.get("recipient_id")
    user = s.users.get(int(rid)) if rid is not None and str(rid).isdigit() else None
    if user is None or user.id == s.bot_user.id:
        raise DiscordError(400, 50033, "Invalid Recipient(s)")
    return s.channel_payload(s.ensure_dm(user))


# --------------------------------------------------------------------------- application commands
def _check_app(s: FakeServer, app_id: str) -> None:
    if app_id != str(s.application_id):
        raise DiscordError(403, 50001, "Missing Access")


def _commands(s: FakeServer, guild_id: int | None) -> list[AppCommand]:
    if guild_id is not None:
        s.guild(guild_id)
    return s.commands.setdefault(guild_id, [])


def _overwrite(s: FakeServer, guild_id: int | None, body: Any) -> Any:
    if not isinstance(body, list):
        raise invalid_form_body({"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Only iterables may be used in a ListType"}]})
    errors = limits.command_errors(body)
    if errors:
        raise invalid_form_body(errors)
    old = {(c.name, c.type): c for c in _commands(s, guild_id)}
    s.command_version += 1
    new = []
    for data in body:
        prev = old.get((data["name"], data.get("type", 1)))
        new.append(AppCommand(prev.id if prev else snowflake(), s.application_id, guild_id, data,
                              s.command_version))
    s.commands[guild_id] = new
    return [c.payload() for c in new]


@route("GET", "/applications/{app_id}/commands")
async def get_global_commands(s: FakeServer, req: Req, app_id: str) -> Any:
    _check_app(s, app_id)
    return [c.payload() for c in _commands(s, None)]


@route("PUT", "/applications/{app_id}/commands")
async def put_global_commands(s: FakeServer, req: Req, app_id: str) -> Any:
    _check_app(s, app_id)
    return _overwrite(s, None, req.json)


@route("GET", "/applications/{app_id}/guilds/{guild_id}/commands")
async def get_guild_commands(s: FakeServer, req: Req, app_id: str, guild_id: str) -> Any:
    _check_app(s, app_id)
    return [c.payload() for c in _commands(s, int(guild_id))]


@route("PUT", "/applications/{app_id}/guilds/{guild_id}/commands")
async def put_guild_commands(s: FakeServer, req: Req, app_id: str, guild_id: str) -> Any:
    _check_app(s, app_id)
    return _overwrite(s, int(guild_id), req.json)


async def _upsert(s: FakeServer, req: Req, guild_id: int | None) -> Any:
    existing = [c.payload() for c in _commands(s, guild_id)
                if (c.name, c.type) != (req.body.get("name"), req.body.get("type", 1))]
    _overwrite(s, guild_id, [{k: v for k, v in c.items() if k not in ("id", "application_id", "version", "guild_id")}
                             for c in existing] + [req.body])
    cmd = next(c for c in s.commands[guild_id] if c.name == req.body.get("name"))
    return 201, cmd.payload()


@route("POST", "/applications/{app_id}/commands")
async def post_global_command(s: FakeServer, req: Req, app_id: str) -> Any:
    _check_app(s, app_id)
    return await _upsert(s, req, None)


@route("POST", "/applications/{app_id}/guilds/{guild_id}/commands")
async def post_guild_command(s: FakeServer, req: Req, app_id: str, guild_id: str) -> Any:
    _check_app(s, app_id)
    return await _upsert(s, req, int(guild_id))


def _find_command(s: FakeServer, guild_id: int | None, command_id: str) -> AppCommand:
    for c in _commands(s, guild_id):
        if str(c.id) == command_id:
            return c
    raise DiscordError(404, 10063, "Unknown application command")


@route("GET", "/applications/{app_id}/commands/{command_id}")
async def get_global_command(s: FakeServer, req: Req, app_id: str, command_id: str) -> Any:
    return _find_command(s, None, command_id).payload()


@route("DELETE", "/applications/{app_id}/commands/{command_id}")
async def delete_global_command(s: FakeServer, req: Req, app_id: str, command_id: str) -> Any:
    cmd = _find_command(s, None, command_id)
    s.commands[None].remove(cmd)


@route("DELETE", "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}")
async def delete_guild_command(s: FakeServer, req: Req, app_id: str, guild_id: str, command_id: str) -> Any:
    cmd = _find_command(s, int(guild_id), command_id)
    s.commands[int(guild_id)].remove(cmd)


# --------------------------------------------------------------------------- guilds
@route("GET", "/guilds/{guild_id}")
async def get_guild(s: FakeServer, req: Req, guild_id: str) -> Any:
    guild = s.guild(guild_id)
    return {**s.guild_payload(guild), "approximate_member_count": len(guild.members),
            "approximate_presence_count": 0}


@route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(s: FakeServer, req: Req, guild_id: str, user_id: str) -> Any:
    guild = s.guild(guild_id)
    member = guild.members.get(int(user_id)) if user_id.isdigit() else None
    if member is None:
        raise DiscordError(404, 10007, "Unknown Member")
    return member.payload()


@route("GET", "/guilds/{guild_id}/members")
async def list_members(s: FakeServer, req: Req, guild_id: str) -> Any:
    guild = s.guild(guild_id)
    limit = int(req.query.get("limit", 1))
    after = int(req.query.get("after", 0))
    members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
    return [m.payload() for m in members[:limit]]


@route("GET", "/guilds/{guild_id}/channels")
async def list_channels(s: FakeServer, req: Req, guild_id: str) -> Any:
    guild = s.guild(guild_id)
    return [s.channel_payload(s.channels[c]) for c in guild.channel_ids
            if c in s.channels and not s.channels[c].is_thread]


@route("GET", "/guilds/{guild_id}/roles")
async def list_roles(s: FakeServer, req: Req, guild_id: str) -> Any:
    return [r.payload() for r in s.guild(guild_id).roles.values()]


@route("GET", "/guilds/{guild_id}/threads/active")
async def active_threads(s: FakeServer, req: Req, guild_id: str) -> Any:
    guild = s.guild(guild_id)
    threads = [s.channels[c] for c in guild.channel_ids if c in s.channels and s.channels[c].is_thread
               and not s.channels[c].archived and s.can_view(s.bot_user.id, s.channels[c])]
    return {"threads": [s.channel_payload(t) for t in threads],
            "members": [{"id": str(t.id), "user_id": str(s.bot_user.id), "join_timestamp": iso_now(), "flags": 0}
                        for t in threads if s.bot_user.id in t.member_ids]}


# --------------------------------------------------------------------------- channels
@route("GET", "/channels/{channel_id}")
async def get_channel(s: FakeServer, req: Req, channel_id: str) -> Any:
    channel = s.channel(channel_id)
    if channel.type != DM:
        s.require_view(channel)
    return s.channel_payload(channel)


@route("PATCH", "/channels/{channel_id}")
async def edit_channel(s: FakeServer, req: Req, channel_id: str) -> Any:
    channel = s.channel(channel_id)
    perms = s.require_view(channel)
    body = req.body
    if channel.is_thread:
        own = channel.owner_id == s.bot_user.id
        if not (perms & P.MANAGE_THREADS or (own and set(body) <= {"archived", "name", "auto_archive_duration"})):
            raise DiscordError(403, 50013, "Missing Permissions")
        for key in ("archived", "locked", "invitable", "auto_archive_duration", "name"):
            if key in body:
                setattr(channel, key, body[key])
        await s.emit_channel("THREAD_UPDATE", channel)
    else:
        if not perms & P.MANAGE_CHANNELS:
            raise DiscordError(403, 50013, "Missing Permissions")
        if "name" in body:
            channel.name = body["name"]
        await s.emit_channel("CHANNEL_UPDATE", channel)
    return s.channel_payload(channel)


@route("DELETE", "/channels/{channel_id}")
async def delete_channel(s: FakeServer, req: Req, channel_id: str) -> Any:
    channel = s.channel(channel_id)
    if channel.type == DM:
        return s.channel_payload(channel)
    perms = s.require_view(channel)
    if not perms & (P.MANAGE_THREADS if channel.is_thread else P.MANAGE_CHANNELS):
        raise DiscordError(403, 50013, "Missing Permissions")
    payload = s.channel_payload(channel)
    if channel.is_thread:
        await s.emit_guild("THREAD_DELETE", {"id": str(channel.id), "guild_id": str(channel.guild_id),
                                             "parent_id": str(channel.parent_id), "type": channel.type})
    else:
        await s.emit_channel("CHANNEL_DELETE", channel)
    del s.channels[channel.id]
    guild = s.guilds.get(channel.guild_id or 0)
    if guild is not None and channel.id in guild.channel_ids:
        guild.channel_ids.remove(channel.id)
    return payload


@route("POST", "/channels/{channel_id}/typing")
async def typing(s: FakeServer, req: Req, channel_id: str) -> Any:
    s.channel(channel_id)
    return None


@route("POST", "/channels/{channel_id}/messages")
async def post_message(s: FakeServer, req: Req, channel_id: str) -> Any:
    channel = s.channel(channel_id)
    require_send(s, channel)
    if channel.is_thread and channel.archived:
        channel.archived = False
        await s.emit_channel("THREAD_UPDATE", channel)
    msg = await create_bot_message(s, channel, req, msg_type=19 if req.body.get("message_reference") else 0)
    return s.message_payload(msg)


@route("GET", "/channels/{channel_id}/messages")
async def history(s: FakeServer, req: Req, channel_id: str) -> Any:
    channel = s.channel(channel_id)
    if channel.type != DM:
        perms = s.require_view(channel)
        if not perms & P.READ_MESSAGE_HISTORY:
            return []
    limit = int(req.query.get("limit", 50))
    before, after = req.query.get("before"), req.query.get("after")
    ids = [i for i in s.channel_messages.get(channel.id, [])
           if not s.messages[i].deleted and not s.messages[i].ephemeral]
    if before:
        ids = [i for i in ids if i < int(before)]
    if after:
        ids = [i for i in ids if i > int(after)]
        ids = ids[:limit]
    ids = sorted(ids, reverse=True)[:limit]
    return [s.message_payload(s.messages[i]) for i in ids]


@route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(s: FakeServer, req: Req, channel_id: str, message_id: str) -> Any:
    channel = s.channel(channel_id)
    if channel.type != DM:
        s.require_view(channel)
    msg = s.message(channel_id, message_id)
    if msg.ephemeral:
        raise DiscordError(404, 10008, "Unknown Message")
    return s.message_payload(msg)


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def patch_message(s: FakeServer, req: Req, channel_id: str, message_id: str) -> Any:
    channel = s.channel(channel_id)
    if channel.type != DM:
        s.require_view(channel)
    msg = s.message(channel_id, message_id)
    if msg.author.id != s.bot_user.id:
        raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
    return s.message_payload(await edit_bot_message(s, msg, req))


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def remove_message(s: FakeServer, req: Req, channel_id: str, message_id: str) -> Any:
    channel = s.channel(channel_id)
    msg = s.message(channel_id, message_id)
    if msg.author.id != s.bot_user.id:
        if channel.type == DM:
            raise DiscordError(403, 50003, "Cannot execute action on a DM channel")
        s.require_perm(channel, P.MANAGE_MESSAGES)
    await delete_message(s, msg)
    return None


# --------------------------------------------------------------------------- threads
async def _new_thread(s: FakeServer, parent: FakeChannel, name: str, ttype: int, body: dict[str, Any],
                      thread_id: int | None = None) -> FakeChannel:
    if parent.type != GUILD_TEXT:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    perms = s.require_view(parent)
    need = P.CREATE_PRIVATE_THREADS if ttype == PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
    if not perms & need:
        raise DiscordError(403, 50013, "Missing Permissions")
    if not name or len(name) > 100:
        raise invalid_form_body({"name": {"_errors": [
            {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}]}})
    thread = FakeChannel(
        id=thread_id or snowflake(), type=ttype, name=name, guild_id=parent.guild_id, parent_id=parent.id,
        owner_id=s.bot_user.id, member_ids={s.bot_user.id},
        invitable=bool(body.get("invitable", True)),
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
    )
    s.add_channel(thread)
    await s.emit_channel("THREAD_CREATE", thread, {"newly_created": True})
    return thread


@route("POST", "/channels/{channel_id}/threads")
async def start_thread(s: FakeServer, req: Req, channel_id: str) -> Any:
    parent = s.channel(channel_id)
    body = req.body
    ttype = int(body.get("type") or PRIVATE_THREAD)
    if ttype not in (PUBLIC_THREAD, PRIVATE_THREAD):
        raise invalid_form_body({"type": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "Value must be one of {11, 12}."}]}})
    thread = await _new_thread(s, parent, body.get("name") or "", ttype, body)
    return 201, s.channel_payload(thread)


@route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def start_thread_from_message(s: FakeServer, req: Req, channel_id: str, message_id: str) -> Any:
    parent = s.channel(channel_id)
    msg = s.message(channel_id, message_id)
    if msg.thread_id is not None:
        raise DiscordError(400, 160004, "A thread has already been created for this message")
    thread = await _new_thread(s, parent, req.body.get("name") or "", PUBLIC_THREAD, req.body, thread_id=msg.id)
    msg.thread_id = thread.id
    return 201, s.channel_payload(thread)


def _thread_and_user(s: FakeServer, channel_id: str, user_id: str) -> tuple[FakeChannel, int]:
    thread = s.channel(channel_id)
    if not thread.is_thread:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    uid = s.bot_user.id if user_id == "@me" else int(user_id)
    if s.member_of(thread.guild_id, uid) is None:
        raise DiscordError(404, 10007, "Unknown Member")
    return thread, uid


@route("PUT", "/channels/{channel_id}/thread-members/{user_id}")
async def add_thread_member(s: FakeServer, req: Req, channel_id: str, user_id: str) -> Any:
    thread, uid = _thread_and_user(s, channel_id, user_id)
    if uid == s.bot_user.id and user_id == "@me":
        if thread.is_private_thread and uid not in thread.member_ids:
            s.require_perm(thread, P.MANAGE_THREADS)
    else:
        perms = s.require_view(thread)
        if thread.is_private_thread and not thread.invitable and not perms & P.MANAGE_THREADS:
            raise DiscordError(403, 50013, "Missing Permissions")
    if thread.archived:
        raise DiscordError(400, 50083, "Thread is archived")
    thread.member_ids.add(uid)
    return None


@route("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
async def remove_thread_member(s: FakeServer, req: Req, channel_id: str, user_id: str) -> Any:
    thread, uid = _thread_and_user(s, channel_id, user_id)
    if uid != s.bot_user.id:
        s.require_perm(thread, P.MANAGE_THREADS)
    thread.member_ids.discard(uid)
    return None


@route("GET", "/channels/{channel_id}/thread-members")
async def list_thread_members(s: FakeServer, req: Req, channel_id: str) -> Any:
    thread = s.channel(channel_id)
    s.require_view(thread)
    return [{"id": str(thread.id), "user_id": str(u), "join_timestamp": iso_now(), "flags": 0}
            for u in sorted(thread.member_ids)]


@route("GET", "/channels/{channel_id}/thread-members/{user_id}")
async def get_thread_member(s: FakeServer, req: Req, channel_id: str, user_id: str) -> Any:
    thread, uid = _thread_and_user(s, channel_id, user_id)
    s.require_view(thread)
    if uid not in thread.member_ids:
        raise DiscordError(404, 10007, "Unknown Member")
    return {"id": str(thread.id), "user_id": str(uid), "join_timestamp": iso_now(), "flags": 0}


# --------------------------------------------------------------------------- interactions
def _interaction_by_id(s: FakeServer, interaction_id: str, token: str) -> InteractionRecord:
    rec = s.interactions.get(int(interaction_id)) if interaction_id.isdigit() else None
    if rec is None or rec.token != token:
        raise DiscordError(404, 10062, "Unknown interaction")
    return rec


def _interaction_by_token(s: FakeServer, app_id: str, token: str) -> InteractionRecord:
    rec = next((r for r in s.interactions.values() if r.token == token), None)
    if rec is None or app_id != str(s.application_id):
        raise DiscordError(404, 10015, "Unknown Webhook")
    if s.clock() - rec.created_at > TOKEN_LIFETIME:
        raise DiscordError(401, 50027, "Invalid Webhook Token")
    return rec


@route("POST", "/interactions/{interaction_id}/{token}/callback")
async def interaction_callback(s: FakeServer, req: Req, interaction_id: str, token: str) -> Any:
    rec = _interaction_by_id(s, interaction_id, token)
    if rec.response_type is not None:
        raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
    if s.clock() - rec.created_at > INTERACTION_DEADLINE:
        raise DiscordError(404, 10062, "Unknown interaction")
    body = req.body
    rtype = int(body.get("type", 0))
    data = body.get("data") or {}
    channel = s.channels.get(rec.channel_id)
    message: FakeMessage | None = None
    allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(rec.type, set())
    if rtype not in allowed:
        raise DiscordError(400, 50035, "Invalid Form Body", {"type": {"_errors": [
            {"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": f"Response type {rtype} is not valid here"}]}})
    if rtype == 9:
        errors = limits.modal_errors(data)
        if errors:
            raise invalid_form_body({"data": errors})
    elif rtype == 8:
        errors = limits.choices_errors(data)
        if errors:
            raise invalid_form_body({"data": errors})
    elif rtype in (4, 7):
        check_message_payload(data, len(req.files), edit=rtype == 7)
    if channel is None:
        raise DiscordError(404, 10003, "Unknown Channel")
    if rtype == 4:
        message = await create_bot_message(s, channel, req, interaction=rec, payload=data,
                                           msg_type=20 if rec.type == 2 else 0)
        rec.original_message_id = message.id
    elif rtype == 5:
        # Discord shows a "thinking" placeholder (flag LOADING) until the original is edited.
        message = await create_bot_message(
            s, channel, req, interaction=rec, payload={"content": "", "flags": data.get("flags") or 0},
            flags=LOADING, msg_type=20 if rec.type == 2 else 0)
        rec.original_message_id = message.id
    elif rtype in (6, 7):
        rec.original_message_id = rec.source_message_id
        if rtype == 7 and rec.source_message_id in s.messages:
            message = await edit_bot_message(s, s.messages[rec.source_message_id], Req(req.request, data, req.files, req.record))
    rec.response_type, rec.response_data = rtype, data
    rec.ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
    handle = s._handles.get(rec.id)
    if handle is not None:
        handle._responded(rtype, data, message)
    if req.query.get("with_response") in ("1", "true", "True"):
        result: dict[str, Any] = {"interaction": {
            "id": str(rec.id), "type": rec.type, "response_message_loading": rtype == 5,
            "response_message_ephemeral": rec.ephemeral,
        }}
        if message is not None:
            result["interaction"]["response_message_id"] = str(message.id)
            result["resource"] = {"type": rtype, "message": s.message_payload(message)}
        else:
            result["resource"] = {"type": rtype}
        return result
    return None


def _original(s: FakeServer, rec: InteractionRecord) -> FakeMessage:
    if rec.original_message_id is None or rec.original_message_id not in s.messages:
        raise DiscordError(404, 10008, "Unknown Message")
    msg = s.messages[rec.original_message_id]
    if msg.deleted:
        raise DiscordError(404, 10008, "Unknown Message")
    return msg


def _webhook_message(s: FakeServer, rec: InteractionRecord, message_id: str) -> FakeMessage:
    if message_id == "@original":
        return _original(s, rec)
    msg = s.messages.get(int(message_id)) if message_id.isdigit() else None
    if msg is None or msg.deleted or (msg.interaction_id != rec.id and msg.id != rec.original_message_id):
        raise DiscordError(404, 10008, "Unknown Message")
    return msg


@route("POST", "/webhooks/{app_id}/{token}")
async def followup(s: FakeServer, req: Req, app_id: str, token: str) -> Any:
    rec = _interaction_by_token(s, app_id, token)
    if rec.response_type is None:
        raise DiscordError(404, 10015, "Unknown Webhook")
    channel = s.channel(rec.channel_id)
    payload = req.body
    if rec.response_type == 5 and rec.original_message_id in s.messages \
            and s.messages[rec.original_message_id].flags & LOADING:
        # Discord turns the first follow-up after a "thinking" defer into the original response.
        msg = await edit_bot_message(s, s.messages[rec.original_message_id], req)
    else:
        msg = await create_bot_message(s, channel, req, interaction=rec)
    handle = s._handles.get(rec.id)
    if handle is not None:
        handle.followups.append(msg)
    if req.query.get("wait") in ("0", "false", "False"):
        return None
    return s.message_payload(msg)


@route("GET", "/webhooks/{app_id}/{token}/messages/{message_id}")
async def get_webhook_message(s: FakeServer, req: Req, app_id: str, token: str, message_id: str) -> Any:
    rec = _interaction_by_token(s, app_id, token)
    return s.message_payload(_webhook_message(s, rec, message_id))


@route("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}")
async def edit_webhook_message(s: FakeServer, req: Req, app_id: str, token: str, message_id: str) -> Any:
    rec = _interaction_by_token(s, app_id, token)
    msg = _webhook_message(s, rec, message_id)
    return s.message_payload(await edit_bot_message(s, msg, req))


@route("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}")
async def delete_webhook_message(s: FakeServer, req: Req, app_id: str, token: str, message_id: str) -> Any:
    rec = _interaction_by_token(s, app_id, token)
    await delete_message(s, _webhook_message(s, rec, message_id))
    return None


# --------------------------------------------------------------------------- attachments (CDN)
async def handle_attachment(s: FakeServer, request: web.Request) -> web.StreamResponse:
    msg = s.messages.get(int(request.match_info["message_id"]))
    name = request.match_info["filename"]
    if msg is None or name not in msg.files:
        return json_response(404, {"message": "404: Not Found", "code": 0})
    return web.Response(body=msg.files[name])
