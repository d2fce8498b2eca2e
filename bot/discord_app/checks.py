"""Who is a supervisor, decided at run time (default_permissions only hides commands).

A supervisor is a member with the server's supervisor role (set with /setup, stored by
pseudonym; else config.yaml's supervisor_role) or the Manage Server permission.
"""
from __future__ import annotations

import discord
from discord import app_commands

from bot.discord_app.common import guild_place


class NotSupervisor(app_commands.CheckFailure):
    """Reported with prompts/supervisor/not_supervisor.j2 (ephemeral)."""


async def is_supervisor(client: discord.Client, guild: discord.Guild | None, member: object) -> bool:
    if guild is None or not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild or member.guild_permissions.administrator:
        return True
    role = (await guild_place(client, guild)).supervisor_role
    return role is not None and any(r.id == role.id for r in member.roles)


async def require_supervisor(interaction: discord.Interaction) -> bool:
    """For every supervisor command: True, or a polite ephemeral refusal (and False)."""
    from bot.discord_app.supervision import say

    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    member = interaction.user
    if isinstance(member, discord.Member) and interaction.permissions.manage_guild:
        return True
    if await is_supervisor(interaction.client, interaction.guild, member):
        return True
    await say(interaction, "not_supervisor")
    return False
