"""Self-tests use the plugin directly (the lead wires it into tests/conftest.py for product tests)."""
from tests.fakediscord.plugin import fake_discord  # noqa: F401
