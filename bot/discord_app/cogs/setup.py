"""/setup: a server's reflection channel, supervisor role, time zone, crisis resources and the
supervisors' channel for the weekly digest.

Stored in the database by guild pseudonym (bot/store/guild_settings.py); channel and role are
kept as keyed pseudonyms and found again by comparing pseudonyms. config.yaml gives defaults.
"""
from __future__ import annotations

import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.schedule import is_known_zone
from bot.discord_app.common import NotAllowed, defer, guild_place, reply, services
from bot.discord_app.texts import cmd, opt
from bot.store.guild_settings import set_guild_settings

_SPLIT = re.compile(r"\s*(?:\n|;|\|)\s*")
THREAD_PERMS = ("view_channel", "send_messages_in_threads", "create_private_threads")


class SetupCog(commands.Cog):
    def __init__(self, bot: commands.Bot):
        self.bot = bot

    @app_commands.command(name="setup", description=cmd("setup"))
    @app_commands.describe(
        reflection_channel=opt("setup", "reflection_channel"),
        supervisor_role=opt("setup", "supervisor_role"),
        timezone=opt("setup", "timezone"),
        crisis_resources=opt("setup", "crisis_resources"),
        supervisors_channel=opt("setup", "supervisors_channel"),
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def setup(self, interaction: discord.Interaction, reflection_channel: discord.TextChannel | None = None,
                    supervisor_role: discord.Role | None = None, timezone: str | None = None,
                    crisis_resources: str | None = None,
                    supervisors_channel: discord.TextChannel | None = None) -> None:
        # default_permissions only hides the command; a server can change that, so check again
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        if not interaction.permissions.manage_guild:
            raise NotAllowed("manage_guild")
        if timezone is not None and not is_known_zone(timezone.strip()):
            await reply(interaction, "setup_bad_timezone", value=timezone)
            return
        await defer(interaction)
        svc = services(self.bot)
        changes: dict = {}
        if reflection_channel is not None:
            changes["reflection_channel"] = svc.keyring.pseudonym("channel", reflection_channel.id)
        if supervisor_role is not None:
            changes["supervisor_role"] = svc.keyring.pseudonym("role", supervisor_role.id)
        if timezone is not None:
            changes["timezone"] = timezone.strip()
        if supervisors_channel is not None:
            changes["supervisors_channel"] = svc.keyring.pseudonym("channel", supervisors_channel.id)
        if crisis_resources is not None:
            lines = tuple(x for x in _SPLIT.split(crisis_resources.strip()) if x)
            changes["crisis_resources"] = lines or None
        if changes:
            await set_guild_settings(svc.store, svc.keyring.pseudonym("guild", interaction.guild.id), **changes)
        place = await guild_place(self.bot, interaction.guild)
        missing: list[str] = []
        if place.reflection_channel is not None:
            perms = place.reflection_channel.permissions_for(interaction.guild.me)
            missing = [p.replace("_", " ").title() for p in THREAD_PERMS if not getattr(perms, p)]
        await reply(interaction, "setup_show", changed=bool(changes),
                    channel=f"#{place.reflection_channel.name}" if place.reflection_channel else None,
                    role=f"@{place.supervisor_role.name}" if place.supervisor_role else None,
                    timezone=place.timezone, crisis=list(place.crisis_resources), missing=missing,
                    supervisors=f"#{place.supervisors_channel.name}" if place.supervisors_channel else None)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(SetupCog(bot))
