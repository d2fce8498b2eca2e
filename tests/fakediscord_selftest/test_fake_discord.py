"""The fake Discord against the real, unmodified discord.py 2.7 client."""
from __future__ import annotations

import asyncio

import discord
import discord.gateway
import discord.http
import pytest
import yarl

from tests.fakediscord import FakeDiscord, permissions as P

from .minibot import make_bot


def test_canary_discord_url_attributes_exist() -> None:
    """If a discord.py upgrade moves these, the fake can no longer redirect the client: fail loudly."""
    assert isinstance(discord.http.Route.BASE, str) and discord.http.Route.BASE.startswith("http")
    assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    route = discord.http.Route("GET", "/users/@me")
    assert route.url == discord.http.Route.BASE + "/users/@me"
    assert hasattr(discord.Client(intents=discord.Intents.default())._connection, "guild_ready_timeout")


async def test_urls_patched_and_json_content_type(fake_discord: FakeDiscord) -> None:
    assert discord.http.Route.BASE == fake_discord.api_base
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(fake_discord.api_base + "/gateway") as resp:
            assert resp.headers["Content-Type"] == "application/json"
        async with session.get(fake_discord.api_base + "/nope", headers={"Authorization": "Bot x"}) as resp:
            assert resp.status == 404
    assert any("unknown route: GET /nope" in e for e in fake_discord.take_errors())


async def test_start_sync_and_ephemeral_slash(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    alice = fake_discord.create_member(guild, "alice")
    bot = make_bot()
    async with fake_discord.running(bot):
        ident = fake_discord.gateway.identifies[-1]
        assert ident["intents"] == discord.Intents.default().value
        assert fake_discord.gateway.compress_requested[-1] == "zlib-stream"
        assert fake_discord.gateway.heartbeats >= 1  # discord.py beats right after HELLO
        synced = await bot.tree.sync()
        assert {c.name for c in synced} >= {"reflect", "journal", "Save to my reflection journal"}
        bot.tree.copy_global_to(guild=discord.Object(guild.id))
        guild_synced = await bot.tree.sync(guild=discord.Object(guild.id))
        assert {c.name for c in guild_synced} >= {"reflect"}
        assert fake_discord.calls("PUT", "/applications/{a}/guilds/{g}/commands")

        inter = await fake_discord.slash(alice, "reflect", case="A.B.", guild=guild)
        resp = await inter.response()
        assert resp.type == 4 and resp.ephemeral and resp.content == "reflecting on A.B."
        assert resp.message is not None and resp.message.allowed_mentions == {"parse": []}

        inter = await fake_discord.slash(alice, "journal list", guild=guild, limit=7, private=False)
        resp = await inter.response()
        assert resp.content == "7 entries" and not resp.ephemeral
        msg = await fake_discord.next_message(fake_discord.default_channel(guild))
        assert msg.content == "7 entries"


async def test_permissions_reach_has_permissions(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    admin_role = fake_discord.create_role(guild, "supervisor", P.MANAGE_GUILD)
    boss = fake_discord.create_member(guild, "boss", roles=[admin_role])
    trainee = fake_discord.create_member(guild, "trainee")
    async with fake_discord.running(make_bot()) as bot:
        await bot.tree.sync()
        ok = await (await fake_discord.slash(boss, "admin", guild=guild)).response()
        denied = await (await fake_discord.slash(trainee, "admin", guild=guild)).response()
        assert ok.content == "admin ok"
        assert denied.content == "denied: MissingPermissions"


async def test_modal_from_button_and_persistent_view_after_restart(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    alice = fake_discord.create_member(guild, "alice")
    async with fake_discord.running(make_bot()) as bot:
        await bot.tree.sync()
        await (await fake_discord.slash(alice, "panel", guild=guild)).response()
        panel = await fake_discord.next_message(guild)
        assert panel.button_labels == ["Open note", "Ping"]
        opened = await fake_discord.click(alice, panel, "Open note")
        resp = await opened.response()
        assert resp.type == 9 and resp.data["title"] == "Write a note"
        submitted = await fake_discord.submit_modal(alice, opened, {"note_text": "felt stuck"})
        assert (await submitted.response()).content == "saved: felt stuck"

    # A brand-new bot process: the persistent view must still answer clicks on the old message.
    async with fake_discord.running(make_bot()):
        again = await fake_discord.click(alice, panel, "persist:ping")
        assert (await again.response()).content == "pong"
    assert len(fake_discord.gateway.identifies) == 2


async def test_private_thread_and_visibility(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    alice = fake_discord.create_member(guild, "alice")
    bob = fake_discord.create_member(guild, "bob")
    general = fake_discord.default_channel(guild)
    async with fake_discord.running(make_bot()) as bot:
        # Without the message_content intent the bot only sees content that mentions it.
        await fake_discord.say(alice, general, f"{fake_discord.bot_user.mention} thread please")
        thread_id = (await _wait_thread(fake_discord, general)).id
        thread = fake_discord.channels[thread_id]
        msg = await fake_discord.next_message(thread)
        assert msg.content == f"welcome <@{alice.id}>" and msg.allowed_mentions == {"parse": []}
        assert thread.is_private_thread and thread.member_ids == {fake_discord.bot_user.id, alice.id}
        req = fake_discord.calls("POST", "/channels/{id}/threads")[-1]
        assert req.json["type"] == 12 and req.json["invitable"] is False

        # A private thread the bot is not in: events are not dispatched to it and fetches fail.
        hidden = await fake_discord.create_thread(general, "alice-bob", owner=alice, private=True, members=[bob])
        seen_before = list(bot.events)
        await fake_discord.say(bob, hidden, "secret")
        await fake_discord.say(alice, general, "public")
        await _until(lambda: "message:" in "".join(bot.events[len(seen_before):]))
        assert bot.events[len(seen_before):] == ["message:"]  # no message_content intent: content blank
        fake_discord.bot_role(guild).permissions &= ~P.MANAGE_THREADS
        with pytest.raises(discord.Forbidden) as exc:
            await bot.fetch_channel(hidden.id)
        assert exc.value.code == 50001


async def _wait_thread(fake: FakeDiscord, parent):
    for _ in range(200):
        threads = [c for c in fake.channels.values() if c.parent_id == parent.id]
        if threads:
            return threads[0]
        await asyncio.sleep(0.01)
    raise AssertionError("no thread")


async def _until(predicate, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


async def test_dm_and_closed_dms(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    alice = fake_discord.create_member(guild, "alice")
    closed = fake_discord.create_member(guild, "closed", dms_closed=True)
    async with fake_discord.running(make_bot()) as bot:
        await bot.tree.sync()
        inter = await fake_discord.slash(alice, "dm", guild=guild, who=alice)
        await inter.response()
        dm = await fake_discord.next_message(alice)
        assert dm.content == "hello in private"
        assert (await inter.followup()).content == "sent"

        inter = await fake_discord.slash(alice, "dm", guild=guild, who=closed)
        assert (await inter.followup()).content.startswith("your DMs are closed")
        assert "forbidden:50007" in bot.events


async def test_resume_after_dropped_connection(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    alice = fake_discord.create_member(guild, "alice")
    async with fake_discord.running(make_bot()) as bot:
        await bot.tree.sync()
        await fake_discord.drop_connection()
        # Sent while disconnected: must be replayed on RESUME by sequence number.
        await fake_discord.say(alice, guild, "while away")
        await fake_discord.wait_resumed()
        await _until(lambda: "resumed" in bot.events and "message:" in bot.events)
        assert len(fake_discord.gateway.identifies) == 1 and len(fake_discord.gateway.resumes) == 1
        resp = await (await fake_discord.slash(alice, "reflect", guild=guild, case="X")).response()
        assert resp.content == "reflecting on X"


async def test_429_is_retried_after_retry_after(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    channel = fake_discord.default_channel(guild)
    async with fake_discord.running(make_bot()) as bot:
        fake_discord.inject_fault("POST", "/channels/{id}/messages", status=429, times=1, retry_after=0.05)
        await bot.get_channel(channel.id).send("hello")
        calls = fake_discord.calls("POST", "/channels/{id}/messages")
        assert [c.status for c in calls] == [429, 200]
        assert (await fake_discord.next_message(channel)).content == "hello"

        fake_discord.inject_fault("POST", "/channels/{id}/messages", status=503)
        with pytest.raises(discord.DiscordServerError):
            await bot.get_channel(channel.id).send("boom")


async def test_limits_rejected_with_discord_error_shape(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    channel = fake_discord.default_channel(guild)
    async with fake_discord.running(make_bot()) as bot:
        ch = bot.get_channel(channel.id)
        with pytest.raises(discord.HTTPException) as exc:
            await ch.send("x" * 2001)
        assert exc.value.status == 400 and exc.value.code == 50035
        assert "content" in exc.value.text
        with pytest.raises(discord.HTTPException) as exc:
            await ch.send(embed=discord.Embed(description="d" * 4097))
        assert exc.value.code == 50035 and "embeds.0.description" in exc.value.text
        big = discord.Embed(title="t")
        for i in range(6):
            big.add_field(name=f"f{i}", value="v" * 1000)
        with pytest.raises(discord.HTTPException) as exc:
            await ch.send(embed=big)
        assert "Embed size exceeds maximum size of 6000" in exc.value.text
        raw = discord.http.Route("POST", "/channels/{c}/messages", c=channel.id)
        bad_payloads = {
            "embeds": {"embeds": [{"title": str(i)} for i in range(11)]},
            "embeds.0.fields": {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
            "embeds.0.fields.0.value": {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
            "components": {"content": "x", "components": [
                {"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": f"{r}"}]}
                for r in range(6)]},
            "components.0.components": {"content": "x", "components": [
                {"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": f"{i}"}
                                           for i in range(6)]}]},
        }
        for where, payload in bad_payloads.items():
            with pytest.raises(discord.HTTPException) as exc:
                await bot.http.request(raw, json=payload)
            assert exc.value.code == 50035 and f"In {where}" in exc.value.text, (where, exc.value.text)
        await ch.send(file=discord.File(__file__, filename="note.txt"), content="with file")
        msg = await fake_discord.next_message(channel)
        assert msg.attachments[0]["filename"] == "note.txt" and msg.files["note.txt"].startswith(b'"""')


async def test_interaction_twice_and_deadlines(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    alice = fake_discord.create_member(guild, "alice")
    async with fake_discord.running(make_bot()) as bot:
        await bot.tree.sync()
        inter = await fake_discord.slash(alice, "twice", guild=guild)
        assert (await inter.followup()).content == "fine"
        await _until(lambda: any(e.startswith("http:") for e in bot.events))
        assert "InteractionResponded" in bot.events and "http:400:40060" in bot.events

        # 3 s without an answer -> 10062; 15 min later follow-ups -> 50027.
        fake_discord.interaction_delay = 3.5
        await fake_discord.slash(alice, "reflect", guild=guild, case="late")
        fake_discord.interaction_delay = 0.0
        await _until(lambda: any(r.status == 404 for r in fake_discord.calls("POST", "/interactions/{i}/{t}/callback")))
        assert fake_discord.calls("POST", "/interactions/{i}/{t}/callback")[-1].status == 404

        inter = await fake_discord.slash(alice, "slow", guild=guild)
        original = await inter.original()
        assert original.content == "done thinking" and original.ephemeral
        fake_discord.clock.advance(15 * 60 + 1)
        with pytest.raises(discord.HTTPException) as exc:
            await bot.http.request(discord.http.Route(
                "POST", "/webhooks/{a}/{t}", a=fake_discord.application_id, t=inter.record.token),
                json={"content": "too late"})
        assert exc.value.status == 401 and exc.value.code == 50027


async def test_autocomplete_and_message_command(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    alice = fake_discord.create_member(guild, "alice")
    async with fake_discord.running(make_bot()) as bot:
        await bot.tree.sync()
        choices = await fake_discord.autocomplete(alice, "term", focused="name", value="min", guild=guild)
        assert choices == [{"name": "mindsight", "value": "mindsight"}]
        said = await fake_discord.say(alice, guild, "I felt calm")
        inter = await fake_discord.message_command(alice, "Save to my reflection journal", said)
        assert (await inter.response()).content == f"saved {said.id}: I felt calm"


async def test_modal_limits(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    alice = fake_discord.create_member(guild, "alice")
    async with fake_discord.running(make_bot()) as bot:
        await bot.tree.sync()
        codes: list[str] = []

        class TooLong(discord.ui.Modal, title="t" * 46):
            text = discord.ui.TextInput(label="x", custom_id="x", max_length=4001)

        @bot.tree.command(name="badmodal", description="opens an invalid modal")
        async def badmodal(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_modal(TooLong())
            except discord.HTTPException as exc:
                codes.append(f"{exc.code}:{exc.text}")

        await bot.tree.sync()
        await fake_discord.slash(alice, "badmodal", guild=guild)
        await _until(lambda: bool(codes))
        assert codes[0].startswith("50035:") and "data.title" in codes[0]
        assert "max_length" in codes[0]


async def test_public_thread_from_message_archive_delete(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.create_guild("Clinic")
    channel = fake_discord.default_channel(guild)
    async with fake_discord.running(make_bot()) as bot:
        ch = bot.get_channel(channel.id)
        sent = await ch.send("start")
        thread = await sent.create_thread(name="discussion")
        assert thread.id == sent.id and thread.type is discord.ChannelType.public_thread
        await thread.send("inside")
        assert (await fake_discord.next_message(channel)).content == "start"
        assert (await fake_discord.next_message(fake_discord.channels[thread.id])).content == "inside"
        await thread.edit(archived=True, locked=True)
        assert fake_discord.channels[thread.id].archived
        fetched = await bot.fetch_channel(thread.id)
        assert fetched.archived and fetched.locked
        await thread.delete()
        assert thread.id not in fake_discord.channels
        history = [m.content async for m in ch.history(limit=5)]
        assert history == ["start"]
