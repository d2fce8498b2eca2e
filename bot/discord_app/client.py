"""The Bot subclass: privacy-safe defaults and cog loading, nothing else."""
from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.services import Services

log = logging.getLogger(__name__)

COGS = (
    "bot.discord_app.cogs.reflect",
    "bot.discord_app.cogs.journal",
    "bot.discord_app.cogs.learning",
    "bot.discord_app.cogs.setup",
    "bot.discord_app.cogs.channel",
    # supervisors and groups (the supervision side)
    "bot.discord_app.cogs.prompts",
    "bot.discord_app.cogs.schedules",
    "bot.discord_app.cogs.digest",
    "bot.discord_app.cogs.share",
)


class ReflectBot(commands.Bot):
    """discord.py bot with the product's non-negotiables built in.

    - `AllowedMentions.none()`: nothing the bot echoes can ping @everyone, a role or a user.
    - `max_messages=None`: discord.py keeps no cache of what people wrote.
    - `message_content` only when the config enables it; everything works without it.
    """

    def __init__(self, services: Services, cogs: tuple[str, ...] = COGS):
        intents = discord.Intents.default()
        intents.message_content = services.config.discord.message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            max_messages=None,
            help_command=None,
            chunk_guilds_at_startup=False,
        )
        self.services = services
        self._cog_modules = cogs

    async def setup_hook(self) -> None:
        from bot.discord_app.common import install_error_handler

        install_error_handler(self)
        # each cog's setup() registers its persistent DynamicItems (bot.add_dynamic_items)
        for module in self._cog_modules:
            await self.load_extension(module)
        log.info("loaded %d cogs", len(self._cog_modules))

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: messages are handled by the channel cog's listener only."""
        return

    async def on_ready(self) -> None:
        log.info("connected to %d servers", len(self.guilds))
