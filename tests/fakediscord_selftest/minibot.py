"""A minimal bot, defined only for the self-tests, that exercises what the product bot will use."""
from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands


class NoteModal(discord.ui.Modal, title="Write a note"):
    note = discord.ui.TextInput(label="Note", custom_id="note_text", max_length=1000)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"saved: {self.note.value}", ephemeral=True)


class PersistentView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Open note", custom_id="persist:open", style=discord.ButtonStyle.primary)
    async def open(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(NoteModal())

    @discord.ui.button(label="Ping", custom_id="persist:ping")
    async def ping(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message("pong", ephemeral=True)


journal = app_commands.Group(name="journal", description="Journal commands")


@journal.command(name="list", description="List entries")
async def journal_list(interaction: discord.Interaction, limit: int = 3, private: bool = True) -> None:
    await interaction.response.send_message(f"{limit} entries", ephemeral=private)


def make_bot(guild_ids: list[int] | None = None) -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(),
                       allowed_mentions=discord.AllowedMentions.none())
    bot.events: list[str] = []  # type: ignore[attr-defined]

    @bot.event
    async def on_resumed() -> None:
        bot.events.append("resumed")

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        bot.events.append(f"message:{message.content}")
        if "thread please" in message.content:
            thread = await message.channel.create_thread(name="private reflection", invitable=False)
            await thread.add_user(message.author)
            await thread.send(f"welcome {message.author.mention}")

    @bot.tree.command(name="reflect", description="Start a reflection")
    @app_commands.describe(case="Case initials")
    async def reflect(interaction: discord.Interaction, case: str) -> None:
        await interaction.response.send_message(f"reflecting on {case}", ephemeral=True)

    @bot.tree.command(name="panel", description="Post a persistent panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("panel", view=PersistentView())

    @bot.tree.command(name="admin", description="Admins only")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("admin ok", ephemeral=True)

    @admin.error
    async def admin_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await interaction.response.send_message(f"denied: {type(error).__name__}", ephemeral=True)

    @bot.tree.command(name="twice", description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        try:
            await interaction.followup.send("fine")  # follow-up is allowed
            await interaction.response.send_message("second")  # discord.py raises itself
        except discord.InteractionResponded:
            bot.events.append("InteractionResponded")
        try:  # bypass discord.py's own guard to hit the server rule
            await bot.http.request(discord.http.Route(
                "POST", "/interactions/{i}/{t}/callback", i=interaction.id, t=interaction.token),
                json={"type": 4, "data": {"content": "again"}})
        except discord.HTTPException as exc:
            bot.events.append(f"http:{exc.status}:{exc.code}")

    @bot.tree.command(name="slow", description="Defers then follows up")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("done thinking")

    @bot.tree.command(name="dm", description="DM me")
    async def dm(interaction: discord.Interaction, who: discord.Member) -> None:
        await interaction.response.defer(ephemeral=True)
        try:
            await who.send("hello in private")
            await interaction.followup.send("sent", ephemeral=True)
        except discord.Forbidden as exc:
            bot.events.append(f"forbidden:{exc.code}")
            await interaction.followup.send("your DMs are closed; here instead", ephemeral=True)

    @bot.tree.command(name="term", description="Look up a term")
    async def term(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(name, ephemeral=True)

    @term.autocomplete("name")
    async def term_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        terms = ["mindsight", "window of tolerance", "integration"]
        return [app_commands.Choice(name=t, value=t) for t in terms if current.lower() in t]

    @bot.tree.context_menu(name="Save to my reflection journal")
    async def save_message(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"saved {message.id}: {message.content}", ephemeral=True)

    bot.tree.add_command(journal)

    async def setup_hook() -> None:
        bot.add_view(PersistentView())

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot
