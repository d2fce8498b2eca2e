"""The words Discord shows for the slash commands: prompts/discord/commands.yaml, loaded once.

    @app_commands.command(name="show", description=cmd("journal show"))
    @app_commands.describe(id=opt("journal show", "id"))

Names of commands and options stay in the cogs (they are identifiers); their descriptions,
fixed-choice labels and the context menus' names come from here. The file is read and checked
at import (Discord's limits: descriptions and choice labels 1-100 characters, context-menu names
1-32), and asking for a text that is not there raises a KeyError naming the missing key, so a
typo fails when the cog is imported, not when Discord rejects the sync.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.paths import PROMPTS_DIR

PATH = PROMPTS_DIR / "discord" / "commands.yaml"
CONTEXT_MENUS = "context menus"  # the one top-level key that is not a command path
DESCRIPTION_MAX = 100
CHOICE_NAME_MAX = 100
CONTEXT_MENU_NAME_MAX = 32
_COMMAND_KEYS = {"description", "options", "choices"}


class TextsError(ValueError):
    """commands.yaml is malformed or breaks one of Discord's limits."""


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TextsError(f"{where} must be non-empty text, got {value!r}")
    if len(value) > limit:
        raise TextsError(f"{where} is {len(value)} characters; Discord allows at most {limit}")
    return value


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TextsError(f"{where} must be a mapping, got {type(value).__name__}")
    return value


def load(path: Path = PATH) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(commands by path, context-menu names by key), checked against Discord's limits."""
    f = path.name
    data = _mapping(yaml.safe_load(path.read_text(encoding="utf-8")), f)
    commands: dict[str, dict[str, Any]] = {}
    menus: dict[str, str] = {}
    for key, entry in data.items():
        if key == CONTEXT_MENUS:
            for menu_key, name in _mapping(entry, f"{f}: {key!r}").items():
                menus[str(menu_key)] = _text(name, f"{f}: {key!r} > {menu_key}", CONTEXT_MENU_NAME_MAX)
            continue
        entry = _mapping(entry, f"{f}: {key!r}")
        unknown = set(entry) - _COMMAND_KEYS
        if unknown:
            raise TextsError(f"{f}: {key!r} has unknown keys {sorted(unknown)} (allowed: {sorted(_COMMAND_KEYS)})")
        options = _mapping(entry.get("options") or {}, f"{f}: {key!r} > options")
        choices = _mapping(entry.get("choices") or {}, f"{f}: {key!r} > choices")
        for option, labels in choices.items():
            if not isinstance(labels, list) or not labels:
                raise TextsError(f"{f}: {key!r} > choices > {option} must be a non-empty list")
        commands[str(key)] = {
            "description": _text(entry.get("description"), f"{f}: {key!r} > description", DESCRIPTION_MAX),
            "options": {str(o): _text(d, f"{f}: {key!r} > options > {o}", DESCRIPTION_MAX) for o, d in options.items()},
            "choices": {str(o): [_text(n, f"{f}: {key!r} > choices > {o}", CHOICE_NAME_MAX) for n in labels]
                        for o, labels in choices.items()},
        }
    return commands, menus


COMMANDS, CONTEXT_MENU_NAMES = load()


def _command(path: str) -> dict[str, Any]:
    try:
        return COMMANDS[path]
    except KeyError:
        raise KeyError(f"{PATH.name} has no command {path!r}") from None


def cmd(path: str) -> str:
    """The description of a command or group, by its path: cmd("journal list")."""
    return _command(path)["description"]


def opt(path: str, option: str) -> str:
    """The description of one option: opt("journal list", "since")."""
    try:
        return _command(path)["options"][option]
    except KeyError as exc:
        if path not in COMMANDS:
            raise exc from None
        raise KeyError(f"{PATH.name} has no option {option!r} under {path!r}") from None


def choices(path: str, option: str) -> list[str]:
    """The labels of an option's fixed choices, in the order of their values."""
    try:
        return list(_command(path)["choices"][option])
    except KeyError as exc:
        if path not in COMMANDS:
            raise exc from None
        raise KeyError(f"{PATH.name} has no choices for {option!r} under {path!r}") from None


def menu(key: str) -> str:
    """The name of a context menu, by its key under "context menus": menu("save_to_journal")."""
    try:
        return CONTEXT_MENU_NAMES[key]
    except KeyError:
        raise KeyError(f"{PATH.name} has no context menu {key!r} under {CONTEXT_MENUS!r}") from None
