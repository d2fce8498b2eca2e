"""Story-like test API: factories for the world, user actions that create interactions/messages,
and `running(bot)` to drive any real `commands.Bot` against the fake."""
from __future__ import annotations

import asyncio
import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterable

from . import permissions as P
from .gateway import GUILD_MEMBERS, GUILDS
from .rest import MENTION_RX, ROLE_MENTION_RX, store_message
from .server import FakeServer
from .state import (
    DM, GUILD_TEXT, PRIVATE_THREAD, PUBLIC_THREAD, AppCommand, FakeChannel, FakeGuild, FakeMember, FakeMessage,
    FakeRole, FakeUser, InteractionRecord, iter_components, snowflake,
)

Target = "FakeRole | FakeMember | FakeUser | FakeGuild"
ChannelLike = "FakeChannel | FakeUser | FakeMember"


@dataclass
class InteractionResponse:
    """The bot's callback: `type` (4 message, 5 defer, 6 deferred update, 7 update, 8 choices, 9 modal)."""

    type: int
    data: dict[str, Any]
    message: FakeMessage | None

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & 64)

    @property
    def content(self) -> str:
        return self.message.content if self.message else self.data.get("content", "")


@dataclass(eq=False)
class Interaction:
    """Handle for an interaction the fake sent; await `.response()` for the bot's callback."""

    fake: FakeDiscord
    record: InteractionRecord
    followups: list[FakeMessage] = field(default_factory=list)
    _future: asyncio.Future | None = None

    @property
    def id(self) -> int:
        return self.record.id

    def _responded(self, rtype: int, data: dict[str, Any], message: FakeMessage | None) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(InteractionResponse(rtype, data, message))

    async def response(self, timeout: float = 5.0) -> InteractionResponse:
        assert self._future is not None
        return await asyncio.wait_for(asyncio.shield(self._future), timeout)

    async def original(self, timeout: float = 5.0) -> FakeMessage:
        """The original response message, waiting for a deferred one to be filled in."""
        await self.response(timeout)

        def ready() -> FakeMessage | None:
            mid = self.record.original_message_id
            msg = self.fake.messages.get(mid) if mid else None
            return msg if msg is not None and not msg.flags & 128 else None

        return await self.fake._wait_for(ready, timeout, "original response")

    async def followup(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:
        """Wait until follow-up number `index` (0-based) arrives."""
        return await self.fake._wait_for(
            lambda: self.followups[index] if len(self.followups) > index else None, timeout, "follow-up")

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot answered with (response type 9), if any."""
        return self.record.response_data if self.record.response_type == 9 else None


class FakeDiscord(FakeServer):
    """The fake plus a test API that reads like the product's story."""

    # ---------------------------------------------------------------- factories
    def create_user(self, name: str = "user", *, dms_closed: bool = False, bot: bool = False) -> FakeUser:
        user = FakeUser(snowflake(), name, bot=bot, dms_closed=dms_closed)
        self.users[user.id] = user
        return user

    def create_guild(self, name: str = "Test Guild", *, owner: FakeUser | None = None,
                     everyone_permissions: Any = P.DEFAULT_EVERYONE, bot_permissions: Any = P.DEFAULT_BOT,
                     channel: str | None = "general") -> FakeGuild:
        """A guild with @everyone, a managed bot role and the bot as member; plus a text channel."""
        owner = owner or self.create_user(f"{name}-owner")
        guild = FakeGuild(snowflake(), name, owner.id)
        guild.roles[guild.id] = FakeRole(guild.id, guild.id, "@everyone", P.as_int(everyone_permissions), position=0)
        bot_role = FakeRole(snowflake(), guild.id, self.bot_user.username, P.as_int(bot_permissions), managed=True)
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = FakeMember(owner, guild.id)
        guild.members[self.bot_user.id] = FakeMember(self.bot_user, guild.id, [bot_role.id])
        self.guilds[guild.id] = guild
        if channel:
            self.create_channel(guild, channel)
        self._later(self.emit_guild("GUILD_CREATE", self.guild_create_payload(guild)))
        return guild

    def bot_role(self, guild: FakeGuild) -> FakeRole:
        return next(r for r in guild.roles.values() if r.managed)

    def bot_member(self, guild: FakeGuild) -> FakeMember:
        return guild.members[self.bot_user.id]

    def create_role(self, guild: FakeGuild, name: str, permissions: Any = 0) -> FakeRole:
        role = FakeRole(snowflake(), guild.id, name, P.as_int(permissions), position=len(guild.roles))
        guild.roles[role.id] = role
        self._later(self.emit_guild("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()}))
        return role

    def create_member(self, guild: FakeGuild, name: str = "member", *, user: FakeUser | None = None,
                      roles: Iterable[FakeRole] = (), dms_closed: bool = False, nick: str | None = None) -> FakeMember:
        user = user or self.create_user(name, dms_closed=dms_closed)
        member = FakeMember(user, guild.id, [r.id for r in roles], nick=nick)
        guild.members[user.id] = member
        self._later(self.emit_guild("GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(guild.id)},
                                    intent=GUILD_MEMBERS))
        return member

    def default_channel(self, guild: FakeGuild) -> FakeChannel:
        return next(self.channels[c] for c in guild.channel_ids if self.channels[c].type == GUILD_TEXT)

    def create_channel(self, guild: FakeGuild, name: str, *, overwrites: dict[Any, tuple[Any, Any]] | None = None,
                       type: int = GUILD_TEXT, parent: FakeChannel | None = None) -> FakeChannel:
        """Text channel; `overwrites` maps role/member/user/guild(@everyone) -> (allow, deny)."""
        channel = FakeChannel(snowflake(), type, name, guild.id, parent.id if parent else None,
                              position=len(guild.channel_ids))
        for target, (allow, deny) in (overwrites or {}).items():
            tid = target.id
            channel.overwrites[tid] = (P.as_int(allow), P.as_int(deny))
            channel.overwrite_types[tid] = 0 if isinstance(target, (FakeRole, FakeGuild)) else 1
        self.add_channel(channel)
        self._later(self.emit_channel("CHANNEL_CREATE", channel))
        return channel

    async def create_thread(self, channel: FakeChannel, name: str, *, owner: FakeUser | FakeMember,
                            private: bool = False, members: Iterable[FakeUser | FakeMember] = ()) -> FakeChannel:
        """A thread created by a user (not the bot); the bot sees a private one only if added."""
        ids = {owner.id, *(m.id for m in members)}
        thread = FakeChannel(snowflake(), PRIVATE_THREAD if private else PUBLIC_THREAD, name, channel.guild_id,
                             channel.id, owner_id=owner.id, member_ids=ids)
        self.add_channel(thread)
        await self.emit_channel("THREAD_CREATE", thread, {"newly_created": True})
        return thread

    def add_channel(self, channel: FakeChannel) -> None:
        self.channels[channel.id] = channel
        if channel.guild_id is not None:
            self.guilds[channel.guild_id].channel_ids.append(channel.id)

    def ensure_dm(self, user: FakeUser) -> FakeChannel:
        """The DM channel between the bot and `user` (created on first use, like Discord)."""
        if user.id not in self.dm_channels:
            channel = FakeChannel(snowflake(), DM, recipient_id=user.id)
            self.channels[channel.id] = channel
            self.dm_channels[user.id] = channel.id
        return self.channels[self.dm_channels[user.id]]

    def dm_channel(self, user: FakeUser | FakeMember) -> FakeChannel:
        return self.ensure_dm(_user(user))

    def _later(self, coro: Any) -> None:
        """Factories are sync; push their gateway events (only matters once a bot is connected)."""
        if self.gateway.sessions:
            asyncio.get_running_loop().create_task(coro)
        else:
            coro.close()

    # ---------------------------------------------------------------- user actions
    def _resolve_channel(self, where: Any) -> FakeChannel:
        if isinstance(where, FakeChannel):
            return where
        if isinstance(where, (FakeUser, FakeMember)):
            return self.dm_channel(where)
        if isinstance(where, FakeGuild):
            return self.default_channel(where)
        raise TypeError(f"not a channel: {where!r}")

    async def say(self, user: FakeUser | FakeMember, channel: Any, content: str, *,
                  reply_to: FakeMessage | None = None) -> FakeMessage:
        """A user posts a message (MESSAGE_CREATE); `<@id>`/`<@&id>` become mentions.
        `channel` may be a FakeChannel/thread, or the user itself for their DM with the bot."""
        u = _user(user)
        ch = self._resolve_channel(channel if channel is not None else u)
        if ch.type != DM:
            if self.member_of(ch.guild_id, u.id) is None:
                raise AssertionError(f"{u.username} is not a member of the guild of #{ch.name}")
            if not self.can_view(u.id, ch):
                raise AssertionError(f"{u.username} cannot see #{ch.name}")
        msg = FakeMessage(
            id=snowflake(), channel_id=ch.id, guild_id=ch.guild_id, author=u, content=content,
            mention_ids=[int(i) for i in MENTION_RX.findall(content) if int(i) in self.users],
            mention_role_ids=[int(i) for i in ROLE_MENTION_RX.findall(content)],
            type=19 if reply_to else 0,
            message_reference={"message_id": str(reply_to.id), "channel_id": str(ch.id)} if reply_to else None,
        )
        store_message(self, msg)
        await self.emit_message("MESSAGE_CREATE", msg)
        return msg

    async def next_message(self, channel: Any, timeout: float = 5.0, *,
                           include_ephemeral: bool = False) -> FakeMessage:
        """The next not-yet-returned message the BOT posted in channel/thread/DM (in order)."""
        ch = self._resolve_channel(channel)

        def pick() -> FakeMessage | None:
            posts = self._bot_posts.get(ch.id, [])
            i = self._bot_cursor.get(ch.id, 0)
            while i < len(posts):
                msg = posts[i]
                i += 1
                self._bot_cursor[ch.id] = i
                if include_ephemeral or not msg.ephemeral:
                    return msg
            return None

        return await self._wait_for(pick, timeout, f"a bot message in {ch.name or ch.id}")

    def bot_messages(self, channel: Any) -> list[FakeMessage]:
        """Everything the bot posted in a channel so far (including ephemeral), oldest first."""
        return list(self._bot_posts.get(self._resolve_channel(channel).id, []))

    async def _wait_for(self, probe: Any, timeout: float, what: str) -> Any:
        async def loop() -> Any:
            async with self._changed:
                while True:
                    value = probe()
                    if value is not None:
                        return value
                    await self._changed.wait()
        try:
            return await asyncio.wait_for(loop(), timeout)
        except asyncio.TimeoutError:
            errors = f"; fake errors: {self.errors}" if self.errors else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{errors}") from None

    # ---------------------------------------------------------------- interactions
    def _find_command(self, name: str, guild: FakeGuild | None, ctype: int) -> AppCommand:
        pools = ([self.commands.get(guild.id, [])] if guild else []) + [self.commands.get(None, [])]
        for pool in pools:
            for cmd in pool:
                if cmd.name == name and cmd.type == ctype:
                    return cmd
        synced = sorted({c.name for pool in self.commands.values() for c in pool})
        raise LookupError(f"command {name!r} (type {ctype}) is not synced; synced: {synced}")

    def _interaction_base(self, itype: int, user: FakeUser | FakeMember, channel: FakeChannel,
                          data: dict[str, Any] | None, message: FakeMessage | None = None) -> Interaction:
        u = _user(user)
        guild_id = channel.guild_id
        iid = snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        ch_payload = self.channel_payload(channel)
        payload: dict[str, Any] = {
            "id": str(iid), "application_id": str(self.application_id), "type": itype, "token": token,
            "version": 1, "channel_id": str(channel.id), "channel": ch_payload, "locale": "en-US",
            "app_permissions": str(self.permissions_for(self.bot_user.id, channel)),
            "entitlements": [], "attachment_size_limit": 10 * 1024 * 1024,
        }
        if data is not None:
            payload["data"] = data
        if guild_id is not None:
            member = self.member_of(guild_id, u.id)
            if member is None:
                raise AssertionError(f"{u.username} is not a member of guild {guild_id}")
            if not self.can_view(u.id, channel):
                raise AssertionError(f"{u.username} cannot see #{channel.name}")
            payload.update({
                "guild_id": str(guild_id), "guild_locale": "en-US", "context": 0,
                "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
                "member": member.payload(permissions=self.permissions_for(u.id, channel)),
                "authorizing_integration_owners": {"0": str(guild_id)},
            })
        else:
            payload.update({"user": u.payload(), "context": 1, "authorizing_integration_owners": {"1": str(u.id)}})
        if message is not None:
            payload["message"] = self.message_payload(message)
        rec = InteractionRecord(iid, token, itype, self.clock() - self.interaction_delay, channel.id, guild_id, u, payload,
                                source_message_id=message.id if message else None)
        self.interactions[iid] = rec
        handle = Interaction(self, rec, _future=asyncio.get_running_loop().create_future())
        self._handles[iid] = handle
        return handle

    async def _send_interaction(self, handle: Interaction) -> Interaction:
        sent = await self.gateway.dispatch("INTERACTION_CREATE", handle.record.payload)
        if not sent:
            raise AssertionError("no bot is connected to the fake gateway")
        return handle

    def _where(self, guild: FakeGuild | None, channel: Any, user: Any) -> tuple[FakeGuild | None, FakeChannel]:
        if channel is None:
            if guild is None:
                return None, self.dm_channel(user)
            return guild, self.default_channel(guild)
        ch = self._resolve_channel(channel)
        return (self.guilds.get(ch.guild_id) if ch.guild_id else None), ch

    def _build_options(self, cmd: AppCommand, name: str, values: dict[str, Any], channel: FakeChannel,
                       focused: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Walk 'group sub' names into nested options and convert values by option type."""
        parts = name.split()
        defs = cmd.data.get("options") or []
        resolved: dict[str, Any] = {}
        top: list[dict[str, Any]] = []
        holder = top
        for part in parts[1:]:
            sub = next((o for o in defs if o["name"] == part and o.get("type") in (1, 2)), None)
            if sub is None:
                raise LookupError(f"{parts[0]!r} has no subcommand/group {part!r}")
            node = {"type": sub["type"], "name": part, "options": []}
            holder.append(node)
            holder = node["options"]
            defs = sub.get("options") or []
        if any(o.get("type") in (1, 2) for o in defs):
            raise LookupError(f"{name!r} is a group; name a subcommand, e.g. {name} {defs[0]['name']}")
        for key, value in values.items():
            opt = next((o for o in defs if o["name"] == key), None)
            if opt is None:
                raise TypeError(f"{name!r} has no option {key!r}; options: {[o['name'] for o in defs]}")
            entry = {"name": key, "type": opt["type"], "value": self._option_value(opt, value, resolved, channel,
                                                                                   focused == key)}
            if focused == key:
                entry["focused"] = True
            holder.append(entry)
        if focused is None:
            missing = [o["name"] for o in defs if o.get("required") and o["name"] not in values]
            if missing:
                raise TypeError(f"{name!r} missing required options {missing}")
        return resolved, top

    def _option_value(self, opt: dict[str, Any], value: Any, resolved: dict[str, Any], channel: FakeChannel,
                      focused: bool) -> Any:
        t = opt["type"]
        if focused:
            return str(value)
        choices = opt.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"{value!r} is not a choice of {opt['name']!r}: {[c['value'] for c in choices]}")
        if t == 3:
            return str(value)
        if t == 4:
            return int(value)
        if t == 10:
            return float(value)
        if t == 5:
            return bool(value)
        if t in (6, 9) and isinstance(value, (FakeUser, FakeMember)):
            u = _user(value)
            resolved.setdefault("users", {})[str(u.id)] = u.payload()
            member = self.member_of(channel.guild_id, u.id)
            if member is not None:
                resolved.setdefault("members", {})[str(u.id)] = member.payload(
                    with_user=False, permissions=self.permissions_for(u.id, channel))
            return str(u.id)
        if t in (8, 9) and isinstance(value, FakeRole):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        if t == 7 and isinstance(value, FakeChannel):
            data = self.channel_payload(value)
            data["permissions"] = str(self.permissions_for(self.bot_user.id, value))
            resolved.setdefault("channels", {})[str(value.id)] = data
            return str(value.id)
        raise TypeError(f"option {opt['name']!r} of type {t} cannot take {value!r}")

    async def slash(self, user: FakeUser | FakeMember, name: str, *, guild: FakeGuild | None = None,
                    channel: Any = None, **options: Any) -> Interaction:
        """Invoke a synced slash command; `name` may be 'group sub'. Returns the interaction handle."""
        guild, ch = self._where(guild, channel, user)
        cmd = self._find_command(name.split()[0], guild, 1)
        resolved, opts = self._build_options(cmd, name, options, ch)
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return await self._send_interaction(self._interaction_base(2, user, ch, data))

    async def autocomplete(self, user: FakeUser | FakeMember, name: str, *, focused: str, value: str = "",
                           guild: FakeGuild | None = None, channel: Any = None, timeout: float = 5.0,
                           **options: Any) -> list[dict[str, Any]]:
        """Type-4 interaction while the user types `value` into option `focused`; returns the choices."""
        guild, ch = self._where(guild, channel, user)
        cmd = self._find_command(name.split()[0], guild, 1)
        _, opts = self._build_options(cmd, name, {**options, focused: value}, ch, focused=focused)
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": opts}
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        handle = await self._send_interaction(self._interaction_base(4, user, ch, data))
        resp = await handle.response(timeout)
        return list(resp.data.get("choices") or [])

    async def message_command(self, user: FakeUser | FakeMember, name: str, message: FakeMessage) -> Interaction:
        """Context-menu (message) command on `message`."""
        ch = self.channels[message.channel_id]
        guild = self.guilds.get(ch.guild_id) if ch.guild_id else None
        cmd = self._find_command(name, guild, 3)
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 3, "target_id": str(message.id),
                                "resolved": {"messages": {str(message.id): self.message_payload(message)}}}
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return await self._send_interaction(self._interaction_base(2, user, ch, data))

    async def user_command(self, user: FakeUser | FakeMember, name: str, target: FakeUser | FakeMember, *,
                           guild: FakeGuild | None = None, channel: Any = None) -> Interaction:
        """Context-menu (user) command on `target`."""
        guild, ch = self._where(guild, channel, user)
        cmd = self._find_command(name, guild, 2)
        resolved: dict[str, Any] = {}
        self._option_value({"type": 6, "name": "target"}, target, resolved, ch, False)
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 2,
                                "target_id": str(_user(target).id), "resolved": resolved}
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return await self._send_interaction(self._interaction_base(2, user, ch, data))

    async def click(self, user: FakeUser | FakeMember, message: FakeMessage, button: str) -> Interaction:
        """Click a button on `message` by label or custom_id (MESSAGE_COMPONENT)."""
        msg = self.messages.get(message.id, message)
        buttons = msg.buttons
        match = next((b for b in buttons if b.get("custom_id") == button), None) \
            or next((b for b in buttons if b.get("label") == button), None)
        if match is None:
            raise LookupError(f"no button {button!r} on message; buttons: {msg.button_labels}")
        if match.get("disabled"):
            raise AssertionError(f"button {button!r} is disabled")
        if "custom_id" not in match:
            raise AssertionError(f"button {button!r} is a link button")
        data = {"custom_id": match["custom_id"], "component_type": 2}
        return await self._send_interaction(
            self._interaction_base(3, user, self.channels[msg.channel_id], data, message=msg))

    async def select(self, user: FakeUser | FakeMember, message: FakeMessage, custom_id: str,
                     values: list[str]) -> Interaction:
        """Choose `values` in a string select menu identified by custom_id."""
        msg = self.messages.get(message.id, message)
        comp = next((c for c in iter_components(msg.components) if c.get("custom_id") == custom_id
                     and c.get("type") in (3, 5, 6, 7, 8)), None)
        if comp is None:
            raise LookupError(f"no select {custom_id!r} on message")
        data = {"custom_id": custom_id, "component_type": comp["type"], "values": list(values)}
        return await self._send_interaction(
            self._interaction_base(3, user, self.channels[msg.channel_id], data, message=msg))

    async def submit_modal(self, user: FakeUser | FakeMember, modal: Interaction | str,
                           values: dict[str, str]) -> Interaction:
        """Submit the modal the bot opened (from an Interaction handle, or the modal's custom_id)."""
        if isinstance(modal, Interaction):
            await modal.response()
            source = modal.record
        else:
            source = next((r for r in reversed(list(self.interactions.values()))
                           if r.response_type == 9 and (r.response_data or {}).get("custom_id") == modal), None)
            if source is None:
                raise LookupError(f"the bot never opened a modal with custom_id {modal!r}")
        if source.response_type != 9:
            raise AssertionError(f"the bot answered with type {source.response_type}, not a modal")
        spec = source.response_data or {}
        inputs = {c["custom_id"]: c for c in iter_components(spec.get("components") or []) if c.get("type") == 4}
        unknown = set(values) - set(inputs)
        if unknown:
            raise LookupError(f"modal has no inputs {sorted(unknown)}; inputs: {sorted(inputs)}")
        for cid, comp in inputs.items():
            value = values.get(cid, comp.get("value") or "")
            if comp.get("required", True) and not value:
                raise AssertionError(f"Discord would not submit: required input {cid!r} is empty")
            if value and len(value) < (comp.get("min_length") or 0):
                raise AssertionError(f"Discord would not submit: {cid!r} shorter than min_length")
            if comp.get("max_length") and len(value) > comp["max_length"]:
                raise AssertionError(f"Discord would not submit: {cid!r} longer than max_length")

        def mirror(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
            out = []
            for c in components:
                if c.get("type") == 1:
                    out.append({"type": 1, "components": mirror(c.get("components") or [])})
                elif c.get("type") == 18 and isinstance(c.get("component"), dict):
                    out.append({"type": 18, "component": mirror([c["component"]])[0]})
                elif c.get("type") == 4:
                    out.append({"type": 4, "custom_id": c["custom_id"],
                                "value": values.get(c["custom_id"], c.get("value") or "")})
            return out

        data = {"custom_id": spec.get("custom_id"), "components": mirror(spec.get("components") or [])}
        channel = self.channels[source.channel_id]
        message = self.messages.get(source.source_message_id) if source.source_message_id else None
        return await self._send_interaction(self._interaction_base(5, user, channel, data, message=message))

    # ---------------------------------------------------------------- gateway faults
    async def drop_connection(self, code: int = 4000) -> None:
        """Close the bot's websocket with a resumable code; events meanwhile are replayed on RESUME."""
        await self.gateway.drop_connection(code)

    async def wait_resumed(self, timeout: float = 5.0) -> None:
        await self.gateway.wait_resumed(timeout)

    # ---------------------------------------------------------------- running a bot
    @asynccontextmanager
    async def running(self, bot: Any, token: str = "fake-token", *, timeout: float = 10.0,
                      guild_ready_timeout: float = 0.05) -> AsyncIterator[Any]:
        """Start any discord.py Client/Bot against this fake, wait until ready, close it on exit.

        discord.py waits `guild_ready_timeout` (2 s default) after the last GUILD_CREATE before
        `on_ready`; we shorten it on the instance (test-side only) and then check every guild arrived.
        """
        bot._connection.guild_ready_timeout = guild_ready_timeout
        task = asyncio.create_task(bot.start(token), name="fakediscord-bot")
        ready = asyncio.create_task(bot.wait_until_ready())
        try:
            done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                task.result()  # re-raise the startup error
                raise AssertionError("bot.start() returned before ready")
            if ready not in done:
                raise AssertionError(f"bot not ready after {timeout}s; fake errors: {self.errors}")
            for gid in self.guilds:
                deadline = asyncio.get_running_loop().time() + timeout
                while bot.get_guild(gid) is None:
                    if asyncio.get_running_loop().time() > deadline:
                        raise AssertionError(f"guild {gid} never reached the bot cache")
                    await asyncio.sleep(0.01)
            yield bot
        finally:
            ready.cancel()
            if not bot.is_closed():
                await bot.close()
            try:
                await asyncio.wait_for(task, timeout)
            except asyncio.CancelledError:
                pass
            except Exception:
                if not task.cancelled() and task.exception() is not None and not self.errors:
                    raise


def _user(who: FakeUser | FakeMember) -> FakeUser:
    return who.user if isinstance(who, FakeMember) else who
