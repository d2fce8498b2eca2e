"""The fixture comes from the `tests.fakediscord.plugin` plugin listed in tests/conftest.py."""
