"""/learn, /term (autocomplete over the pack) and /sources, with citations and [uncited]."""
from __future__ import annotations

from tests.discord_support import shown, world  # noqa: F401

COGS = ("bot.discord_app.cogs.learning",)


async def slash_term(fake, user, guild, value):
    """`/term name:...` (the fake's slash() takes `name` itself, so build the interaction here)."""
    ch = fake.default_channel(guild)
    cmd = fake._find_command("term", guild, 1)
    resolved, opts = fake._build_options(cmd, "term", {"name": value}, ch)
    data = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": opts}
    if cmd.guild_id is not None:
        data["guild_id"] = str(cmd.guild_id)
    return await fake._send_interaction(fake._interaction_base(2, user, ch, data))


async def test_learn_term_sources_and_autocomplete(world):
    fake = world.fake
    async with world.bot(cogs=COGS):
        choices = await fake.autocomplete(world.alice, "learn", focused="topic", value="cha", guild=world.guild)
        assert choices and choices[0]["value"] == "chaos"
        assert all(c["value"] != "risk" for c in await fake.autocomplete(
            world.alice, "learn", focused="topic", value="", guild=world.guild))
        resp = await (await fake.slash(world.alice, "learn", guild=world.guild, topic="chaos")).response()
        assert resp.ephemeral and "[6]" in shown(resp.content)
        resp = await (await fake.slash(world.alice, "learn", guild=world.guild, topic="cultural-humility")).response()
        assert "[uncited]" in shown(resp.content)
        choices = await fake.autocomplete(world.alice, "term", focused="name", value="mind", guild=world.guild)
        assert any(c["value"] == "mindsight" for c in choices)
        resp = await (await slash_term(fake, world.alice, world.guild, "integration")).response()
        assert "Integration" in resp.content and "[1]" in shown(resp.content)
        resp = await (await slash_term(fake, world.alice, world.guild, "nonsense")).response()
        assert "don't know" in resp.content
        resp = await (await fake.slash(world.alice, "sources", guild=world.guild)).response()
        assert resp.ephemeral and "[6]" in resp.content and "Pathways of Mind" in resp.content
        assert "[uncited]" in shown(resp.content)
