"""Shared test set-up. Fixture plugins of sub-areas are listed here."""
import os

os.environ.setdefault("BOT_LOG_LEVEL", "WARNING")

pytest_plugins: list[str] = ["tests.fakediscord.plugin"]
