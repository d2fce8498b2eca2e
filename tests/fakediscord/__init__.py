"""A local fake Discord (REST + gateway) for testing the real discord.py client offline."""
from .api import FakeDiscord, Interaction, InteractionResponse
from .server import DiscordError, FakeClock, RecordedRequest
from .state import FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole, FakeUser
from . import permissions

__all__ = [
    "FakeDiscord", "Interaction", "InteractionResponse", "DiscordError", "FakeClock", "RecordedRequest",
    "FakeChannel", "FakeGuild", "FakeMember", "FakeMessage", "FakeRole", "FakeUser", "permissions",
]
