"""/prompt post|save|list|delete: reflective prompts for a group, with a persistent
"Reflect on this" button (rsb:prompt:<ref>) that starts a private guided reflection."""
from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.supervision import builtin_prompts, valid_name
from bot.core.templates import TemplateRejected, check_template
from bot.discord_app.checks import require_supervisor
from bot.discord_app.common import services
from bot.discord_app.supervision import ReflectOnThis, after_entry_saved, gp, post_prompt, resolve_prompt, say
from bot.discord_app.texts import cmd, opt
from bot.store import supervision as sup


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class PromptsCog(commands.GroupCog, group_name="prompt", group_description=cmd("prompt")):
    def __init__(self, bot: commands.Bot):
        self.bot = bot
        super().__init__()

    @app_commands.command(name="post", description=cmd("prompt post"))
    @app_commands.describe(prompt=opt("prompt post", "prompt"), text=opt("prompt post", "text"),
                           channel=opt("prompt post", "channel"))
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def post(self, interaction: discord.Interaction, prompt: str | None = None, text: str | None = None,
                   channel: discord.TextChannel | None = None) -> None:
        if not await require_supervisor(interaction):
            return
        name = prompt
        if not name and not (text and text.strip()):
            await say(interaction, "prompt_need_name_or_text")
            return
        assert interaction.guild is not None
        target = channel or interaction.channel
        if not isinstance(target, (discord.TextChannel, discord.Thread)):
            await say(interaction, "prompt_bad_channel")
            return
        svc = services(self.bot)
        try:
            title, body = await resolve_prompt(self.bot, interaction.guild, name, text,
                                               getattr(target, "name", None), svc.clock())
        except TemplateRejected as exc:
            await say(interaction, "template_rejected", problems=exc.problems)
            return
        except LookupError:
            await say(interaction, "prompt_unknown", label=name)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            msg = await post_prompt(self.bot, target, interaction.guild, title, body)
        except discord.Forbidden:
            await say(interaction, "prompt_cannot_post", channel=getattr(target, "name", ""))
            return
        await say(interaction, "prompt_posted", channel=getattr(target, "name", ""), url=msg.jump_url)

    @post.autocomplete("prompt")
    async def _names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = list(builtin_prompts(services(self.bot).pack.id))
        if interaction.guild is not None:
            names += [n for n, _ in await sup.list_templates(services(self.bot).store, gp(self.bot, interaction.guild))]
        cur = (current or "").lower()
        return [app_commands.Choice(name=n, value=n) for n in names if cur in n][:25]

    @app_commands.command(name="save", description=cmd("prompt save"))
    @app_commands.describe(template=opt("prompt save", "template"), text=opt("prompt save", "text"))
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def save(self, interaction: discord.Interaction, template: str, text: str) -> None:
        if not await require_supervisor(interaction):
            return
        name = template
        key = name.strip().lower()
        svc = services(self.bot)
        if not valid_name(key) or key in builtin_prompts(svc.pack.id):
            await say(interaction, "template_bad_name", label=name)
            return
        problems = check_template(text, svc.pack)
        if problems:
            await say(interaction, "template_rejected", problems=problems)
            return
        assert interaction.guild is not None
        await sup.save_template(svc.store, gp(self.bot, interaction.guild), key, text)
        await say(interaction, "template_saved", label=key)

    @app_commands.command(name="list", description=cmd("prompt list"))
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def list_(self, interaction: discord.Interaction) -> None:
        if not await require_supervisor(interaction):
            return
        assert interaction.guild is not None
        svc = services(self.bot)
        saved = await sup.list_templates(svc.store, gp(self.bot, interaction.guild))
        await say(interaction, "prompt_list", builtins=list(builtin_prompts(svc.pack.id).values()), saved=saved)

    @app_commands.command(name="delete", description=cmd("prompt delete"))
    @app_commands.describe(template=opt("prompt delete", "template"))
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def delete(self, interaction: discord.Interaction, template: str) -> None:
        if not await require_supervisor(interaction):
            return
        name = template
        assert interaction.guild is not None
        done = await sup.delete_template(services(self.bot).store, gp(self.bot, interaction.guild), name.strip().lower())
        await say(interaction, "template_deleted" if done else "prompt_unknown", label=name)


async def setup(bot: commands.Bot) -> None:
    svc = services(bot)

    async def group_thread(thread: discord.Thread) -> bool:
        return await sup.is_group_thread(svc.store, svc.keyring.pseudonym("thread", thread.id))

    # hooks for the front cogs: weekly threads count as reflection places; a save in a server
    # records its digest facts (see bot/discord_app/supervision.py:after_entry_saved)
    svc.extra.setdefault("is_group_thread", group_thread)
    svc.extra.setdefault("after_entry_saved", after_entry_saved)
    bot.add_dynamic_items(ReflectOnThis)
    await bot.add_cog(PromptsCog(bot))
