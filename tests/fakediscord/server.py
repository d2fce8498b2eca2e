"""The fake Discord server core: aiohttp app lifecycle, world state, request log, faults, events.

REST handlers live in ``rest.py``; the story-like test API in ``api.py`` subclasses this.
"""
from __future__ import annotations

import asyncio
import json
import re
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from . import permissions as P
from .gateway import DIRECT_MESSAGES, GUILD_MEMBERS, GUILD_MESSAGES, GUILDS, MESSAGE_CONTENT, Gateway
from .state import (
    DM, AppCommand, FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole, FakeUser, InteractionRecord,
    iso_now, member_permissions, snowflake,
)

API_PREFIX = "/api/v10"


class FakeClock:
    """Injectable monotonic clock: real time plus a test-controlled offset (no sleeping needed)."""

    def __init__(self, base: Callable[[], float] = time.monotonic) -> None:
        self.base = base
        self.offset = 0.0

    def __call__(self) -> float:
        return self.base() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class DiscordError(Exception):
    """Raised by handlers; rendered as Discord's JSON error body."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def invalid_form_body(errors: dict[str, Any]) -> DiscordError:
    return DiscordError(400, 50035, "Invalid Form Body", errors)


@dataclass
class RecordedRequest:
    """One REST call as the bot made it."""

    method: str
    path: str  # without the /api/v10 prefix, e.g. /channels/123/messages
    query: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (filename, data)
    status: int = 0
    route: str = ""  # matched template, e.g. /channels/{channel_id}/messages


@dataclass
class Req:
    """What a REST handler gets: the aiohttp request, parsed JSON body, uploaded files, log record."""

    request: web.Request
    json: Any
    files: list[tuple[str, bytes, str]]  # (filename, data, content type)
    record: RecordedRequest

    @property
    def query(self) -> Any:
        return self.request.query

    @property
    def body(self) -> dict[str, Any]:
        return self.json if isinstance(self.json, dict) else {}


@dataclass
class Fault:
    method: str
    regex: re.Pattern[str]
    status: int
    times: int
    retry_after: float
    is_global: bool
    body: dict[str, Any] | None
    hits: int = 0


def template_regex(template: str) -> re.Pattern[str]:
    """'/channels/{id}/messages' -> regex matching one path segment per placeholder."""
    parts = re.split(r"(\{[^}]+\})", template)
    rx = "".join("([^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{rx}/?$")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """Content-Type must be exactly 'application/json' or discord.py treats the body as text."""
    return web.Response(status=status, body=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json", **(headers or {})})


class FakeServer:
    """Holds the world state and serves REST + gateway on 127.0.0.1."""

    def __init__(self, *, heartbeat_interval_ms: int = 5000, clock: Callable[[], float] | None = None) -> None:
        self.clock: Callable[[], float] = clock or FakeClock()
        self.gateway = Gateway(self, heartbeat_interval_ms)
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None
        # identity
        self.application_id = snowflake()
        self.bot_user = FakeUser(self.application_id, "FakeBot", bot=True)
        self.app_owner = FakeUser(snowflake(), "app-owner")
        self.expected_token: str | None = None  # None accepts any token
        self.privileged_intents_enabled = GUILD_MEMBERS | (1 << 8) | MESSAGE_CONTENT
        # world
        self.users: dict[int, FakeUser] = {self.bot_user.id: self.bot_user, self.app_owner.id: self.app_owner}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> channel id
        self.commands: dict[int | None, list[AppCommand]] = {}
        self.command_version = 0
        self.interactions: dict[int, InteractionRecord] = {}
        # observation
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []
        self.faults: list[Fault] = []
        self._bot_posts: dict[int, list[FakeMessage]] = {}
        self._bot_cursor: dict[int, int] = {}
        self._changed = asyncio.Condition()
        self._handles: dict[int, Any] = {}  # interaction id -> api.Interaction handle
        #: Pretend interactions reach the bot this many seconds late (tests the 3 s rule without sleeping).
        self.interaction_delay = 0.0

    # ----------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway/"

    async def start(self) -> None:
        from .rest import ROUTES, handle_attachment  # local import: rest imports this module

        self._routes = ROUTES
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_get("/gateway", self.gateway.handle)

        async def attachment(request: web.Request) -> web.StreamResponse:
            return await handle_attachment(self, request)

        app.router.add_get("/attachments/{message_id}/{filename}", attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_rest)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ----------------------------------------------------------------- errors / faults
    def record_error(self, message: str) -> None:
        """Problems that must fail the test (unknown routes, handler crashes, protocol misuse)."""
        self.errors.append(message)

    def take_errors(self) -> list[str]:
        """Return and clear recorded errors (for tests that provoke them on purpose)."""
        errors, self.errors = self.errors, []
        return errors

    def inject_fault(self, method: str, path: str, *, status: int = 429, times: int = 1,
                     retry_after: float = 0.05, is_global: bool = False,
                     body: dict[str, Any] | None = None) -> Fault:
        """Make the next `times` matching calls fail. `path` is a template like '/channels/{id}/messages'.

        429 responses carry Retry-After, X-RateLimit-* headers, JSON retry_after/global and a `Via`
        header (discord.py only retries a 429 that has `Via`, i.e. came through Discord's proxy).
        """
        fault = Fault(method.upper(), template_regex(path), status, times, retry_after, is_global, body)
        self.faults.append(fault)
        return fault

    def _match_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.hits < fault.times and fault.method == method and fault.regex.match(path):
                fault.hits += 1
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        if fault.status == 429:
            ra = fault.retry_after
            headers = {
                "Retry-After": f"{ra:g}", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + ra:.3f}", "X-RateLimit-Reset-After": f"{ra:.3f}",
                "X-RateLimit-Bucket": "fakebucket" + str(id(fault) % 1000), "X-RateLimit-Scope": "user",
                "Via": "1.1 google",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            body = fault.body or {"message": "You are being rate limited.", "retry_after": ra,
                                  "global": fault.is_global}
            return json_response(429, body, headers)
        body = fault.body or {"message": "Internal Server Error", "code": 0}
        return json_response(fault.status, body)

    # ----------------------------------------------------------------- REST entry
    async def _handle_unknown(self, request: web.Request) -> web.Response:
        self.record_error(f"request outside the API: {request.method} {request.path}")
        return json_response(404, {"message": "404: Not Found", "code": 0})

    async def _parse_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes, str]]]:
        ctype = request.headers.get("Content-Type", "")
        files: list[tuple[str, bytes, str]] = []
        if ctype.startswith("multipart/"):
            form = await request.post()
            payload: Any = None
            for key, value in form.items():
                if key == "payload_json":
                    payload = json.loads(value if isinstance(value, str) else value.file.read())
                elif hasattr(value, "file"):
                    files.append((value.filename, value.file.read(), value.content_type))
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        if ctype != "application/json":
            self.record_error(f"{request.method} {request.path}: body sent with Content-Type {ctype!r}")
        return json.loads(raw), files

    async def _handle_rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        method = request.method
        body, files = await self._parse_body(request)
        rec = RecordedRequest(method, path, dict(request.query), body, [(f[0], f[1]) for f in files])
        self.requests.append(rec)
        fault = self._match_fault(method, path)
        if fault is not None:
            rec.status = fault.status
            return self._fault_response(fault)
        for route_method, template, regex, handler in self._routes:
            if route_method != method:
                continue
            m = regex.match(path)
            if m is None:
                continue
            rec.route = template
            if not template.startswith(("/interactions", "/webhooks")):
                auth = request.headers.get("Authorization", "")
                if not auth.startswith("Bot ") or not self.token_ok(auth[4:]):
                    rec.status = 401
                    return json_response(401, {"message": "401: Unauthorized", "code": 0})
            try:
                result = await handler(self, Req(request, body, files, rec), *m.groups())
            except DiscordError as exc:
                rec.status = exc.status
                return json_response(exc.status, exc.body(), exc.headers)
            except Exception:
                self.record_error(f"fake handler crashed for {method} {path}:\n{traceback.format_exc()}")
                rec.status = 500
                return json_response(500, {"message": "fake crashed", "code": 0})
            if result is None:
                rec.status = 204
                return web.Response(status=204)
            status, payload = result if isinstance(result, tuple) else (200, result)
            rec.status = status
            return json_response(status, payload)
        rec.status = 404
        self.record_error(f"unknown route: {method} {path} (add it to tests/fakediscord/rest.py)")
        return json_response(404, {"message": "404: Not Found", "code": 0})

    def token_ok(self, token: str | None) -> bool:
        return bool(token) and (self.expected_token is None or token == self.expected_token)

    def calls(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Filter the request log; `path` may be a template like '/channels/{id}/messages'."""
        rx = template_regex(path) if path else None
        return [r for r in self.requests
                if (method is None or r.method == method.upper()) and (rx is None or rx.match(r.path))]

    # ----------------------------------------------------------------- lookups
    def channel(self, channel_id: int | str) -> FakeChannel:
        try:
            return self.channels[int(channel_id)]
        except (KeyError, ValueError):
            raise DiscordError(404, 10003, "Unknown Channel") from None

    def guild(self, guild_id: int | str) -> FakeGuild:
        try:
            return self.guilds[int(guild_id)]
        except (KeyError, ValueError):
            raise DiscordError(404, 10004, "Unknown Guild") from None

    def message(self, channel_id: int | str, message_id: int | str) -> FakeMessage:
        try:
            msg = self.messages[int(message_id)]
        except (KeyError, ValueError):
            raise DiscordError(404, 10008, "Unknown Message") from None
        if msg.channel_id != int(channel_id) or msg.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return msg

    def member_of(self, guild_id: int | None, user_id: int) -> FakeMember | None:
        if guild_id is None or guild_id not in self.guilds:
            return None
        return self.guilds[guild_id].members.get(user_id)

    def permissions_for(self, user_id: int, channel: FakeChannel | None, guild_id: int | None = None) -> int:
        """Permissions of a user in a channel (or guild-wide); DM channels get the fixed DM set."""
        if channel is not None and channel.type == DM:
            return P.DM_PERMISSIONS
        gid = channel.guild_id if channel is not None else guild_id
        guild = self.guilds.get(gid) if gid is not None else None
        member = self.member_of(gid, user_id)
        if guild is None or member is None:
            return 0
        return member_permissions(guild, member, channel, self.channels)

    def can_view(self, user_id: int, channel: FakeChannel) -> bool:
        """VIEW_CHANNEL, and for private threads membership (or MANAGE_THREADS)."""
        if channel.type == DM:
            return channel.recipient_id == user_id or user_id == self.bot_user.id
        perms = self.permissions_for(user_id, channel)
        if not perms & P.VIEW_CHANNEL:
            return False
        if channel.is_private_thread and user_id not in channel.member_ids:
            return bool(perms & P.MANAGE_THREADS)
        return True

    def require_view(self, channel: FakeChannel) -> int:
        if not self.can_view(self.bot_user.id, channel):
            raise DiscordError(403, 50001, "Missing Access")
        return self.permissions_for(self.bot_user.id, channel)

    def require_perm(self, channel: FakeChannel | None, bit: int, guild_id: int | None = None) -> None:
        if not self.permissions_for(self.bot_user.id, channel, guild_id) & bit:
            raise DiscordError(403, 50013, "Missing Permissions")

    def dm_recipient(self, channel: FakeChannel) -> FakeUser:
        return self.users[channel.recipient_id]  # type: ignore[index]

    # ----------------------------------------------------------------- payloads
    def channel_payload(self, channel: FakeChannel) -> dict[str, Any]:
        recipients = [self.dm_recipient(channel)] if channel.type == DM else None
        return channel.payload(recipients=recipients, me_id=self.bot_user.id)

    def ready_payload(self, session: Any) -> dict[str, Any]:
        return {
            "v": 10, "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
            "session_id": session.session_id, "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [], "relationships": [], "user_settings": {}, "session_type": "normal",
            "shard": [0, 1], "geo_ordered_rtc_regions": [],
        }

    def guild_payload(self, guild: FakeGuild) -> dict[str, Any]:
        return {
            "id": str(guild.id), "name": guild.name, "icon": None, "splash": None, "discovery_splash": None,
            "owner_id": str(guild.owner_id), "afk_channel_id": None, "afk_timeout": 300,
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "roles": [r.payload() for r in guild.roles.values()], "emojis": [], "stickers": [],
            "features": [], "mfa_level": 0, "application_id": None, "system_channel_id": None,
            "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None, "description": None,
            "banner": None, "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
            "public_updates_channel_id": None, "nsfw_level": 0, "premium_progress_bar_enabled": False,
            "max_members": 500000, "max_video_channel_users": 25,
        }

    def guild_create_payloads(self) -> list[dict[str, Any]]:
        return [self.guild_create_payload(g) for g in self.guilds.values()]

    def guild_create_payload(self, guild: FakeGuild) -> dict[str, Any]:
        chans = [self.channels[c] for c in guild.channel_ids if c in self.channels]
        return {
            **self.guild_payload(guild),
            "joined_at": iso_now(), "large": False, "unavailable": False, "member_count": len(guild.members),
            "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "members": [m.payload() for m in guild.members.values()],
            "channels": [self.channel_payload(c) for c in chans if not c.is_thread],
            "threads": [self.channel_payload(c) for c in chans
                        if c.is_thread and not c.archived and self.can_view(self.bot_user.id, c)],
        }

    def members_chunk_payload(self, guild_id: int, nonce: str | None) -> dict[str, Any]:
        guild = self.guilds[guild_id]
        data: dict[str, Any] = {"guild_id": str(guild_id), "members": [m.payload() for m in guild.members.values()],
                                "chunk_index": 0, "chunk_count": 1, "not_found": [], "presences": []}
        if nonce:
            data["nonce"] = nonce
        return data

    def message_payload(self, msg: FakeMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(msg.id), "channel_id": str(msg.channel_id), "author": msg.author.payload(),
            "content": msg.content, "timestamp": msg.timestamp, "edited_timestamp": msg.edited_timestamp,
            "tts": False, "mention_everyone": False,
            "mentions": [self._mention_payload(msg.guild_id, uid) for uid in msg.mention_ids if uid in self.users],
            "mention_roles": [str(r) for r in msg.mention_role_ids], "attachments": msg.attachments,
            "embeds": msg.embeds, "pinned": False, "type": msg.type, "flags": msg.flags,
            "components": msg.components,
        }
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
            member = self.member_of(msg.guild_id, msg.author.id)
            if member is not None and msg.webhook_id is None:
                data["member"] = member.payload(with_user=False)
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
            data["application_id"] = str(self.application_id)
        if msg.interaction_id is not None and msg.interaction_id in self.interactions:
            rec = self.interactions[msg.interaction_id]
            data["interaction_metadata"] = {
                "id": str(rec.id), "type": rec.type, "user": rec.user.payload(),
                "authorizing_integration_owners": {"0": str(rec.guild_id)} if rec.guild_id else {"1": str(rec.user.id)},
            }
        if msg.message_reference is not None:
            data["message_reference"] = msg.message_reference
        if msg.thread_id is not None and msg.thread_id in self.channels:
            data["thread"] = self.channel_payload(self.channels[msg.thread_id])
        return data

    def _mention_payload(self, guild_id: int | None, user_id: int) -> dict[str, Any]:
        data = self.users[user_id].payload()
        member = self.member_of(guild_id, user_id)
        if member is not None:
            data["member"] = member.payload(with_user=False)
        return data

    # ----------------------------------------------------------------- events
    def _message_transform(self, msg: FakeMessage) -> Callable[[int], dict[str, Any] | None]:
        """MESSAGE_* visibility: intents, VIEW_CHANNEL, private-thread membership, MESSAGE_CONTENT."""
        channel = self.channels.get(msg.channel_id)
        payload = self.message_payload(msg)

        def transform(intents: int) -> dict[str, Any] | None:
            if channel is None or msg.ephemeral:
                return None
            if channel.type == DM:
                if not intents & DIRECT_MESSAGES:
                    return None
            else:
                if not intents & GUILD_MESSAGES or not self.can_view(self.bot_user.id, channel):
                    return None
                if channel.is_private_thread and self.bot_user.id not in channel.member_ids:
                    return None  # private-thread messages reach members only
            privileged_content = (
                msg.author.id == self.bot_user.id or channel.type == DM or self.bot_user.id in msg.mention_ids
            )
            if not intents & MESSAGE_CONTENT and not privileged_content:
                return {**payload, "content": "", "embeds": [], "attachments": [], "components": []}
            return payload

        return transform

    async def emit_message(self, event: str, msg: FakeMessage) -> None:
        await self.gateway.dispatch(event, self._message_transform(msg))

    async def emit_channel(self, event: str, channel: FakeChannel, extra: dict[str, Any] | None = None) -> None:
        """CHANNEL_*/THREAD_* events; private threads only reach the bot if it is a member."""
        payload = {**self.channel_payload(channel), **(extra or {})}

        def transform(intents: int) -> dict[str, Any] | None:
            if not intents & GUILDS:
                return None
            if channel.type != DM and not self.can_view(self.bot_user.id, channel) and not event.endswith("DELETE"):
                return None
            return payload

        await self.gateway.dispatch(event, transform)

    async def emit_guild(self, event: str, payload: dict[str, Any], intent: int = GUILDS) -> None:
        await self.gateway.dispatch(event, lambda intents: payload if intents & intent else None)

    async def note_bot_post(self, msg: FakeMessage) -> None:
        """Queue a bot-authored message for `next_message` (consumed in order, race-free)."""
        self._bot_posts.setdefault(msg.channel_id, []).append(msg)
        async with self._changed:
            self._changed.notify_all()

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
