"""Terminal mode: the whole guided reflection over the same core and store as Discord.

Interactive on a TTY; with stdin not a TTY it reads one answer per line (commands as `/skip`,
`/back`, `/pause`, `/finish`, `/save`, `/discard`, `/help`, `/continue`) and prints the
transcript, so it can be scripted. EOF pauses the reflection (it is persisted every turn).
"""
from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.core.flow import CLOSING, ENDED, EVENTS, OPENING, PAUSED, RISK_HOLD, Event, NotNow, Output, commands_in
from bot.core.reflection import ReflectionService, Turn
from bot.core.render import render, render_output

YES = ("y", "yes", "/consent")
NO = ("n", "no", "/decline")


def terminal_owner(store) -> str:
    """The terminal user's pseudonym: keyed HMAC of the OS user name (never the name itself)."""
    return store.keyring.pseudonym("terminal", getpass.getuser() or "unknown")


class Terminal:
    def __init__(self, service: ReflectionService, owner: str, inp: TextIO, out: TextIO, interactive: bool):
        self.service, self.owner, self.inp, self.out, self.interactive = service, owner, inp, out, interactive

    def show(self, outputs: list[Output]) -> None:
        for o in outputs:
            if not o.template:
                continue
            if isinstance(o, NotNow):  # the terminal's own wording: commands are typed with a "/"
                text = render("terminal/not_now.j2", target="plain", command=o.command, commands=o.commands)
            else:
                text = render_output(o, target="plain")
            if text.strip():
                self.out.write(text + "\n\n")
        self.out.flush()

    def say(self, name: str, **ctx) -> None:
        self.out.write(render(name, target="plain", **ctx) + "\n")
        self.out.flush()

    def read(self, prompt: str = "terminal/prompt.j2") -> str | None:
        if self.interactive:
            self.out.write(render(prompt, target="plain") + " ")
            self.out.flush()
        line = self.inp.readline()
        if not line:
            return None
        return line.rstrip("\n")

    async def run(self, case: str | None, yes: bool, new: bool = False) -> int:
        svc, owner = self.service, self.owner
        turn = None if new else await svc.resume(owner)
        if turn is None:
            turn = await svc.start(owner, case=case)
            self.show(turn.outputs)
            if yes:
                turn = await self.send(turn, Event("consent", case))
        else:
            self.show(turn.outputs)
        if self.interactive:
            self.say("terminal/commands.j2")
        while turn.phase != ENDED:
            if turn.phase == RISK_HOLD and not self.interactive:
                turn = await self.send(turn, Event("continue"))
                continue
            if turn.phase == OPENING:
                turn = await self.opening(turn, case)
                if turn is None:
                    return 0
                continue
            line = self.read("terminal/prompt_preview.j2" if turn.phase == CLOSING else "terminal/prompt.j2")
            if line is None:
                await self.send(turn, Event("pause"))
                return 0
            event = self.parse(line, turn.phase)
            if event is None:
                continue
            turn = await self.send(turn, event)
            if turn.phase == PAUSED:  # kept in the store; `chat` again resumes it
                return 0
        return 0

    async def opening(self, turn: Turn, case: str | None) -> Turn | None:
        if case is None:
            self.say("terminal/ask_case.j2")
            line = self.read()
            if line is None:
                await self.send(turn, Event("pause"))
                return None
            case = line.strip() or None
        self.say("terminal/ask_consent.j2")
        line = self.read()
        if line is None:
            await self.send(turn, Event("pause"))
            return None
        answer = line.strip().lower()
        if answer in YES:
            return await self.send(turn, Event("consent", case))
        if answer in NO:
            return await self.send(turn, Event("decline"))
        return turn

    def parse(self, line: str, phase: str | None = None) -> Event | None:
        """A line typed at the prompt: "/command", or an answer. Where no answer is expected (the
        preview asks "save or discard"), a bare command word is that command."""
        text = line.strip()
        if not text:
            return None
        if phase is not None and not text.startswith("/"):
            available = commands_in(phase)
            if "answer" not in available and text.lower() in available:
                return Event(text.lower())
        if text.startswith("/"):
            kind = text[1:].split()[0].lower() if len(text) > 1 else ""
            if kind in EVENTS and kind != "answer":
                return Event(kind)
            self.say("terminal/unknown_command.j2", command=text.split()[0], commands=[e for e in EVENTS if e != "answer"])
            return None
        return Event("answer", text)

    async def send(self, turn: Turn, event: Event) -> Turn:
        new = await self.service.handle(self.owner, turn.session_id, event)
        self.show(new.outputs)
        return new


def _defaults():
    try:
        from bot.config import load_config

        return load_config().defaults
    except Exception:  # a broken config must not stop a reflection; `config check` reports it
        return None


async def run_terminal(db_path: Path | None, case: str | None = None, yes: bool = False, new: bool = False,
                       inp: TextIO | None = None, out: TextIO | None = None, interactive: bool | None = None,
                       data_dir: Path | None = None, key_file: Path | None = None) -> int:
    from bot.store import open_store

    inp = inp or sys.stdin
    out = out or sys.stdout
    if interactive is None:
        interactive = inp.isatty()
    if data_dir is None and os.environ.get("BOT_DATA_DIR"):
        data_dir = Path(os.environ["BOT_DATA_DIR"])
    async with open_store(db_path, data_dir, key_file=key_file) as store:
        defaults = _defaults()
        if defaults and defaults.retention_days > 0:  # the configured retention, as the bot applies it
            await store.purge_older_than(defaults.retention_days, store.clock())
        service = ReflectionService(store, crisis_resources=defaults.crisis_resources if defaults else ())
        term = Terminal(service, terminal_owner(store), inp, out, interactive)
        return await term.run(case, yes, new)
