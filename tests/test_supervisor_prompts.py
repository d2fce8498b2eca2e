"""/prompt end to end: runtime supervisor check, posting with a persistent Reflect on this
button that starts a private reflection, templates saved/refused."""
from __future__ import annotations

from tests.discord_support import assert_no_pings
from tests.supervisor_support import sworld  # noqa: F401

COGS = ("bot.discord_app.cogs.prompts",)


async def test_non_supervisor_is_refused(sworld):
    fake = sworld.fake
    async with sworld.bot(cogs=COGS):
        for cmd, opts in (("prompt post", {"prompt": "chaos"}), ("prompt save", {"template": "x", "text": "Hi"}),
                          ("prompt list", {})):
            inter = await fake.slash(sworld.alice, cmd, guild=sworld.guild, channel=sworld.group, **opts)
            resp = await inter.response()
            assert resp.ephemeral and "for supervisors" in resp.content
        assert not [m for m in fake.bot_messages(sworld.group) if not m.ephemeral]


async def test_prompt_posted_and_reflection_started_from_button(sworld):
    fake = sworld.fake
    async with sworld.bot(cogs=COGS):
        inter = await fake.slash(sworld.supervisor, "prompt post", guild=sworld.guild, channel=sworld.group,
                                 prompt="chaos-rigidity")
        msg = await inter.original()
        assert msg.ephemeral and "Posted" in msg.content
        post = [m for m in fake.bot_messages(sworld.group) if not m.ephemeral][-1]
        assert "chaos versus rigidity" in post.text
        button = post.buttons[0]
        assert button["custom_id"].startswith("rsb:prompt:") and button["label"] == "Reflect on this"
    # persistent: after a restart the button still works
    async with sworld.bot(cogs=COGS, sync=False):
        inter = await fake.click(sworld.alice, post, "Reflect on this")
        msg = await inter.original()
        assert msg.ephemeral and "private reflection" in msg.content
        threads = [c for c in fake.channels.values() if c.parent_id == sworld.reflection.id]
        assert len(threads) == 1 and threads[0].is_private_thread
        opening = fake.bot_messages(threads[0])[0]
        assert "chaos versus rigidity" in opening.content and "You're reflecting on this prompt" in opening.content
    assert_no_pings(fake)


async def test_manage_server_counts_as_supervisor_and_free_text(sworld):
    fake = sworld.fake
    async with sworld.bot(cogs=COGS):
        inter = await fake.slash(sworld.admin, "prompt post", guild=sworld.guild, channel=sworld.group,
                                 text="What did {{ group }} notice in week {{ week }}?")
        await inter.original()
        post = [m for m in fake.bot_messages(sworld.group) if not m.ephemeral][-1]
        assert "What did group notice in week 2026\\-W10?" in post.text


async def test_template_saved_listed_posted_and_malicious_refused(sworld):
    fake = sworld.fake
    async with sworld.bot(cogs=COGS):
        inter = await fake.slash(sworld.supervisor, "prompt save", guild=sworld.guild, template="weekly",
                                 text="Week {{ week }}: {{ passage(\"chaos-rigidity.1\") }} What stood out?")
        resp = await inter.response()
        # either saved or refused only for an unknown claim id; use a claim-free template to be sure
        inter = await fake.slash(sworld.supervisor, "prompt save", guild=sworld.guild, template="weekly",
                                 text="Week {{ week }} in {{ group|upper }}: what stood out?")
        resp = await inter.response()
        assert resp.ephemeral and "Saved the template" in resp.content
        inter = await fake.slash(sworld.supervisor, "prompt save", guild=sworld.guild, template="evil",
                                 text="{{ ''.__class__.__mro__ }}")
        resp = await inter.response()
        assert resp.ephemeral and "can't be used" in resp.content and "__mro__" not in resp.content
        inter = await fake.slash(sworld.supervisor, "prompt list", guild=sworld.guild)
        resp = await inter.response()
        assert "weekly" in resp.content and "evil" not in resp.content
        inter = await fake.slash(sworld.supervisor, "prompt post", guild=sworld.guild, channel=sworld.group,
                                 prompt="weekly")
        await inter.original()
        post = [m for m in fake.bot_messages(sworld.group) if not m.ephemeral][-1]
        assert "Week 2026\\-W10 in GROUP: what stood out?" in post.text
        inter = await fake.slash(sworld.supervisor, "prompt post", guild=sworld.guild, channel=sworld.group,
                                 text="{{ ''.__class__.__mro__ }}")
        resp = await inter.response()
        assert "can't be used" in resp.content
        inter = await fake.slash(sworld.supervisor, "prompt delete", guild=sworld.guild, template="weekly")
        assert "Deleted" in (await inter.response()).content


async def test_button_reuses_the_reflect_cog_when_loaded(sworld):
    import importlib.util

    if importlib.util.find_spec("bot.discord_app.cogs.reflect") is None:
        return
    fake = sworld.fake
    async with sworld.bot(cogs=COGS + ("bot.discord_app.cogs.reflect",)) as bot:
        assert bot.get_cog("ReflectCog") is not None
        inter = await fake.slash(sworld.supervisor, "prompt post", guild=sworld.guild, channel=sworld.group,
                                 prompt="mindsight")
        await inter.original()
        post = [m for m in fake.bot_messages(sworld.group) if not m.ephemeral][-1]
        inter = await fake.click(sworld.bob, post, "Reflect on this")
        msg = await inter.original()
        assert msg.ephemeral and "private reflection" in msg.content
        threads = [c for c in fake.channels.values() if c.parent_id == sworld.reflection.id]
        assert len(threads) == 1
        first = fake.bot_messages(threads[0])[0]
        assert "mindsight" in first.text and first.buttons  # the reflect cog's own turn, with its buttons


async def test_all_cogs_load_together_and_commands_are_hinted(sworld):
    fake = sworld.fake
    async with sworld.bot() as bot:
        for cog in ("PromptsCog", "SchedulesCog", "DigestCog", "ShareCog"):
            assert bot.get_cog(cog) is not None
        for name in ("prompt", "schedule", "digest"):
            cmd = fake._find_command(name, sworld.guild, 1)
            assert int(cmd.payload()["default_member_permissions"]) == 1 << 5  # Manage Server: a hint only
