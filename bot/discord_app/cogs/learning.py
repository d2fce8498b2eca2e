"""/learn topic, /term name (both with autocomplete over the pack) and /sources.

Every passage is shown verbatim with its citation; text with no cited source is labelled
[uncited]. Replies are ephemeral so browsing the source never clutters a shared channel.
"""
from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.flow import Passage
from bot.discord_app.common import reply, services
from bot.discord_app.texts import cmd, opt

MAX_CHOICES = 25


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("-", " ").split())


class LearningCog(commands.Cog):
    def __init__(self, bot: commands.Bot):
        self.bot = bot

    @property
    def pack(self):
        return services(self.bot).pack

    def _topics(self):
        return [t for t in self.pack.topics if t.passages and t.pulls]

    def _find_topic(self, value: str):
        v = _norm(value)
        return next((t for t in self._topics() if v in (_norm(t.id), _norm(t.label))), None)

    def _find_term(self, value: str):
        v = _norm(value)
        return next((t for t in self.pack.terms if v in (_norm(t.id), _norm(t.term))), None)

    @staticmethod
    def _choices(items: list[tuple[str, str]], current: str) -> list[app_commands.Choice[str]]:
        cur = _norm(current)
        starts = [(n, v) for n, v in items if _norm(n).startswith(cur)]
        contains = [(n, v) for n, v in items if cur in _norm(n) and (n, v) not in starts]
        return [app_commands.Choice(name=n[:100], value=v) for n, v in (starts + contains)[:MAX_CHOICES]]

    # ------------------------------------------------------------------ /learn
    @app_commands.command(name="learn", description=cmd("learn"))
    @app_commands.describe(topic=opt("learn", "topic"))
    async def learn(self, interaction: discord.Interaction, topic: str) -> None:
        rule = self._find_topic(topic)
        if rule is None:
            await reply(interaction, "learn_unknown", kind="topic", value=topic,
                        known=[t.label for t in self._topics()[:6]])
            return
        pack = self.pack
        passages = []
        for cid in rule.pulls:
            claim = pack.claim(cid)
            ref = int(claim.source) if claim.cited else None
            passages.append(Passage(cid, claim.text, claim.source, claim.cited, ref,
                                    pack.reference(ref).title if ref else None, rule.id))
        refs = sorted({(p.reference_number, p.reference_title) for p in passages if p.cited and p.reference_number})
        await reply(interaction, "learn_topic", topic=rule, passages=passages, references=refs,
                    any_uncited=any(not p.cited for p in passages), pack_name=pack.short_name)

    @learn.autocomplete("topic")
    async def learn_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self._choices([(t.label, t.id) for t in self._topics()], current)

    # ------------------------------------------------------------------ /term
    @app_commands.command(name="term", description=cmd("term"))
    @app_commands.describe(name=opt("term", "name"))
    async def term(self, interaction: discord.Interaction, name: str) -> None:
        term = self._find_term(name)
        if term is None:
            await reply(interaction, "learn_unknown", kind="term", value=name,
                        known=[t.term for t in self.pack.terms[:6]])
            return
        reference = self.pack.reference(int(term.source)) if term.source.isdigit() else None
        await reply(interaction, "learn_term", term=term, reference=reference)

    @term.autocomplete("name")
    async def term_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return self._choices([(t.term, t.id) for t in self.pack.terms], current)

    # ------------------------------------------------------------------ /sources
    @app_commands.command(name="sources", description=cmd("sources"))
    async def sources(self, interaction: discord.Interaction) -> None:
        await reply(interaction, "sources", references=list(self.pack.references), pack_name=self.pack.short_name)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(LearningCog(bot))
