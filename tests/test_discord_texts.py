"""The words of the slash commands live in prompts/discord/commands.yaml, not in the cogs.

1. The real bot (all cogs, on the fake Discord): every registered command, group, option,
   fixed choice and context menu shows exactly the text commands.yaml gives for it, and
   commands.yaml has nothing that no command uses.
2. An `ast` scan of bot/discord_app/**/*.py: no app_commands call (command, Group, describe,
   choices, Choice, ContextMenu, GroupCog class keywords...) is given prose as a string literal.
3. The loader (bot/discord_app/texts.py): clear KeyErrors, Discord's length limits.
"""
from __future__ import annotations

import ast
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.discord_app import texts
from tests.discord_support import world  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
DISCORD_APP = ROOT / "bot" / "discord_app"

# Options that have never had a description: Discord shows its placeholder. Give one a text in
# commands.yaml (and an opt() in the cog) and remove it from here.
UNDESCRIBED: set[tuple[str, str]] = set()
PLACEHOLDER = "…"  # what discord.py sends for an option without a description


# --------------------------------------------------------------------------- 1. the live tree

async def test_every_command_option_and_menu_text_comes_from_commands_yaml(world):  # noqa: F811
    used_commands: set[str] = set()
    used_options: set[tuple[str, str]] = set()
    used_choices: set[tuple[str, str]] = set()
    async with world.bot(sync=False) as bot:
        for command in bot.tree.walk_commands():
            path = command.qualified_name
            used_commands.add(path)
            assert command.description == texts.cmd(path), f"/{path}: description is not the one in commands.yaml"
            if isinstance(command, app_commands.Group):
                continue
            for param in command.parameters:
                where = f"/{path} {param.name}"
                if (path, param.name) in UNDESCRIBED:
                    assert param.description == PLACEHOLDER, f"{where} now has a description: move it to commands.yaml"
                    continue
                used_options.add((path, param.name))
                assert param.description == texts.opt(path, param.name), f"{where}: description not from commands.yaml"
                if not param.choices:
                    continue
                labels = texts.COMMANDS[path]["choices"].get(param.name)
                if labels is None:  # e.g. Literal["md", "json"]: the label is the value, an identifier
                    assert all(c.name == str(c.value) for c in param.choices), f"{where}: choice labels not in commands.yaml"
                else:
                    used_choices.add((path, param.name))
                    assert [c.name for c in param.choices] == labels, f"{where}: choice labels differ from commands.yaml"
        menus = [c for kind in (discord.AppCommandType.message, discord.AppCommandType.user)
                 for c in bot.tree.get_commands(type=kind)]
    assert menus, "no context menu registered"
    assert sorted(m.name for m in menus) == sorted(texts.CONTEXT_MENU_NAMES.values())

    # and nothing in commands.yaml is left over from a removed or renamed command/option
    assert set(texts.COMMANDS) == used_commands, "commands.yaml and the registered commands differ"
    in_yaml = {(p, o) for p, entry in texts.COMMANDS.items() for o in entry["options"]}
    assert in_yaml == used_options, f"unused option texts: {sorted(in_yaml - used_options)}"
    yaml_choices = {(p, o) for p, entry in texts.COMMANDS.items() for o in entry["choices"]}
    assert yaml_choices == used_choices, f"unused choice labels: {sorted(yaml_choices - used_choices)}"
    assert {"reflect", "journal list", "prompt", "schedule add", "remind set"} <= used_commands


# --------------------------------------------------------------------------- 2. no prose in the code

# calls whose keyword arguments are texts Discord shows; for these, only the keywords below
APP_CALLS = {"command", "context_menu", "Command", "ContextMenu", "Group", "Choice"}
TEXT_KEYWORDS = {"name", "description", "group_name", "group_description"}
# calls where every keyword argument is a text (keyword = option name)
ALL_KEYWORD_CALLS = {"describe", "choices", "rename"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return "?"


def _literal(node: ast.AST) -> str | None:
    """The text of a string literal (plain, implicit concatenation, f-string, "a" + "b"), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None or right is not None:
            return (left or "") + (right or "")
    return None


def prose_literals(source: str, filename: str) -> list[str]:
    """file:line of every app_commands text given as a string literal with a space in it."""
    found = []

    def check(keyword: ast.keyword, what: str) -> None:
        value = _literal(keyword.value)
        if value is not None and " " in value:
            found.append(f"{filename}:{keyword.value.lineno}: {what}({keyword.arg}={value!r}) "
                         f"-> move it to prompts/discord/commands.yaml")

    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            dotted = _dotted(node.func)
            last = dotted.rsplit(".", 1)[-1]
            if last in ALL_KEYWORD_CALLS:
                for kw in node.keywords:
                    if kw.arg is not None:
                        check(kw, dotted)
            elif last in APP_CALLS or "app_commands" in dotted.split("."):
                for kw in node.keywords:
                    if kw.arg in TEXT_KEYWORDS:
                        check(kw, dotted)
        elif isinstance(node, ast.ClassDef):  # class X(commands.GroupCog, group_description="...")
            for kw in node.keywords:
                if kw.arg in TEXT_KEYWORDS:
                    check(kw, f"class {node.name}")
    return found


def test_no_command_text_is_a_python_string_in_the_discord_code():
    files = sorted(DISCORD_APP.rglob("*.py"))
    assert any(p.parent.name == "cogs" for p in files)
    found = [hit for p in files for hit in prose_literals(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    assert not found, "user-facing command text in Python:\n" + "\n".join(found)


def test_the_scan_sees_every_form():
    source = '''
class P(commands.GroupCog, group_name="prompt", group_description="Reflective prompts here"):
    journal = app_commands.Group(name="journal", description="Your private " "journal")
    @journal.command(name="list", description="List entries")
    @app_commands.describe(since="Only entries after", case=opt("x", "case"))
    @app_commands.choices(day=[app_commands.Choice(name="Every day", value=1)])
    async def f(self): ...
menu = app_commands.ContextMenu(name=f"Save to {X}", callback=f)
@bot.tree.context_menu(name="Save it" + "!")
async def g(i, m): ...
ok = app_commands.Group(name="remind", description=cmd("remind"))
embed = discord.Embed(description="Not a command text")
'''
    hits = prose_literals(source, "x.py")
    lines = sorted(int(h.split(":")[1]) for h in hits)
    assert lines == [2, 3, 4, 5, 6, 8, 9], hits
    assert all("commands.yaml" in h for h in hits)


# --------------------------------------------------------------------------- 3. the loader

def test_a_missing_text_is_a_keyerror_naming_it():
    with pytest.raises(KeyError, match="journal lst"):
        texts.cmd("journal lst")
    with pytest.raises(KeyError, match="'sinc'.*'journal list'"):
        texts.opt("journal list", "sinc")
    with pytest.raises(KeyError, match="no command 'jornal list'"):
        texts.opt("jornal list", "since")
    with pytest.raises(KeyError, match="'weekdays'"):
        texts.choices("schedule add", "weekdays")
    with pytest.raises(KeyError, match="'save'"):
        texts.menu("save")


def test_every_text_is_within_discords_limits():
    for path, entry in texts.COMMANDS.items():
        assert 1 <= len(entry["description"]) <= 100, path
        assert all(1 <= len(d) <= 100 for d in entry["options"].values()), path
        assert all(1 <= len(n) <= 100 for labels in entry["choices"].values() for n in labels), path
    assert all(1 <= len(n) <= 32 for n in texts.CONTEXT_MENU_NAMES.values())


@pytest.mark.parametrize("body, message", [
    ("journal:\n  description: '" + "x" * 101 + "'\n", "101 characters; Discord allows at most 100"),
    ("journal:\n  description: ''\n", "must be non-empty text"),
    ("journal: {}\n", "'journal' > description must be non-empty text"),
    ("journal:\n  description: ok\n  options: {since: '" + "y" * 101 + "'}\n", "options > since is 101"),
    ("journal:\n  description: ok\n  choices: {day: [Monday, '']}\n", "choices > day must be non-empty"),
    ("journal:\n  description: ok\n  describe: {since: x}\n", "unknown keys ['describe']"),
    ("context menus:\n  save: '" + "z" * 33 + "'\n", "33 characters; Discord allows at most 32"),
])
def test_a_bad_commands_file_fails_at_load(tmp_path, body, message):
    bad = tmp_path / "commands.yaml"
    bad.write_text(body, encoding="utf-8")
    with pytest.raises(texts.TextsError) as info:
        texts.load(bad)
    assert message in str(info.value) and "commands.yaml" in str(info.value)
