"""The journal service (bot.core.journal) and `python -m bot journal ...`."""
from __future__ import annotations

import asyncio
import getpass
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import main
from bot.core import journal
from bot.core.ports import NewEntry
from bot.store import open_store

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def store(tmp_path):
    now = {"t": T0}
    async with open_store(data_dir=tmp_path, env={}, clock=lambda: now["t"]) as s:
        s.now = now
        yield s


async def test_service_list_edit_export_delete(store):
    o = store.keyring.pseudonym("user", 1)
    a = await store.save_entry(o, None, NewEntry(text="First *reflection*", answers={"q1": "calm"}, case="A.B.",
                                                 topics=["chaos"], prompt="weekly"))
    store.now["t"] = T0 + timedelta(days=2)
    b = await store.save_entry(o, None, NewEntry(text="Second", case="C.D."))
    assert [e.id for e in await journal.list_entries(store, o)] == [b, a]
    assert [e.id for e in await journal.list_entries(store, o, case="a.b.")] == [a]
    assert await journal.edit(store, o, a, "First, revised")
    with pytest.raises(ValueError):
        await journal.edit(store, o, a, "   ")
    md = await journal.export(store, o, "md", T0)
    assert "First, revised" in md and "First *reflection*" in md and "Earlier versions" in md and "calm" in md
    assert md.index("Second") < md.index("First, revised")
    doc = json.loads(await journal.export(store, o, "json", T0))
    assert doc["count"] == 2 and doc["entries"][1]["history"][0]["text"] == "First *reflection*"
    assert doc["entries"][1]["answers"] == {"q1": "calm"} and doc["entries"][1]["case"] == "A.B."
    with pytest.raises(ValueError):
        await journal.export(store, o, "pdf", T0)
    assert await journal.delete_one(store, o, b)
    assert await journal.delete_all(store, o, vacuum=True) == 1
    assert await journal.list_entries(store, o) == []


async def test_service_retention(store):
    o = store.keyring.pseudonym("user", 1)
    await store.save_entry(o, None, NewEntry(text="old"))
    store.now["t"] = T0 + timedelta(days=100)
    await store.save_entry(o, None, NewEntry(text="new"))
    assert await journal.purge_older_than(store, o, 90, store.now["t"]) == 1
    assert [e.text for e in await journal.list_entries(store, o)] == ["new"]


async def test_retention_fallback_on_a_protocol_only_store(store):
    o = store.keyring.pseudonym("user", 1)

    class Minimal:  # only the Store protocol methods
        list_entries = store.list_entries
        delete_entry = store.delete_entry

    await store.save_entry(o, None, NewEntry(text="old"))
    assert await journal.purge_older_than(Minimal(), o, 1, T0 + timedelta(days=3)) == 1


# ----------------------------------------------------------------------------- CLI

@dataclass
class FakeScrub:
    text: str
    redactions: list = field(default_factory=list)
    normalised: bool = False


def fake_scrub(text: str) -> FakeScrub:
    return FakeScrub(text.replace("Jane Doe", "[name]"), ["name"] if "Jane Doe" in text else [])


def seed(db, texts):
    async def go():
        async with open_store(db, env={}) as s:
            o = s.keyring.pseudonym("terminal", getpass.getuser())
            return [await s.save_entry(o, None, NewEntry(text=t, case="A.B.")) for t in texts]
    return asyncio.run(go())


class Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def run_cli(monkeypatch, capsys, argv, stdin=""):
    monkeypatch.setattr("sys.stdin", Stdin(stdin))
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_list_show_edit_export_delete(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("BOT_SECRET_KEY", raising=False)
    monkeypatch.setattr("bot.commands.journal._scrubber", lambda: fake_scrub)
    db = tmp_path / "bot.sqlite3"
    a, b = seed(db, ["first entry text", "second entry text"])
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "list", "--db", str(db)])
    assert code == 0 and a in out and b in out and "2 entries" in out
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "list", "--db", str(db), "--case", "Z.Z."])
    assert code == 0 and "no entries" in out
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "list", "--db", str(db), "--since", "2999-01-01"])
    assert "no entries" in out
    code, _, err = run_cli(monkeypatch, capsys, ["journal", "list", "--db", str(db), "--since", "nope"])
    assert code == 2 and "not a date" in err
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "show", a, "--db", str(db)])
    assert code == 0 and "first entry text" in out
    code, _, err = run_cli(monkeypatch, capsys, ["journal", "show", "nope", "--db", str(db)])
    assert code == 1 and "No entry" in err
    # edit from stdin: scrubbed preview, needs --yes without a terminal
    code, out, err = run_cli(monkeypatch, capsys, ["journal", "edit", a, "--db", str(db)], "met Jane Doe today")
    assert code == 1 and "met [name] today" in out and "--yes" in err
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "edit", a, "--db", str(db), "--yes"], "met Jane Doe today")
    assert code == 0 and "1 identifier replaced" in out and "Jane Doe" not in out
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "export", "--db", str(db), "--format", "json"])
    doc = json.loads(out)
    by_id = {e["id"]: e for e in doc["entries"]}
    assert by_id[a]["text"] == "met [name] today" and by_id[a]["history"][0]["text"] == "first entry text"
    out_file = tmp_path / "export.md"
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "export", "--db", str(db), "-o", str(out_file)])
    assert code == 0 and (out_file.stat().st_mode & 0o777) == 0o600 and "met [name] today" in out_file.read_text()
    code, _, err = run_cli(monkeypatch, capsys, ["journal", "delete", "--db", str(db)])
    assert code == 2
    code, _, err = run_cli(monkeypatch, capsys, ["journal", "delete", b, "--db", str(db)])
    assert code == 1 and "--yes" in err
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "delete", b, "--db", str(db), "--yes"])
    assert code == 0 and b in out
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "purge", "--older-than", "0", "--db", str(db), "--yes"])
    assert code == 0
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "delete", "--all", "--yes", "--vacuum", "--db", str(db)])
    assert code == 0 and "data key" in out


def test_cli_edit_refuses_without_scrubber(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("BOT_SECRET_KEY", raising=False)
    monkeypatch.setattr("bot.commands.journal._scrubber", lambda: None)
    db = tmp_path / "bot.sqlite3"
    (a,) = seed(db, ["text"])
    code, _, err = run_cli(monkeypatch, capsys, ["journal", "edit", a, "--db", str(db), "--yes"], "new")
    assert code == 1 and "scrubber" in err


def test_cli_keys_check_rotate_confirm(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("BOT_SECRET_KEY", raising=False)
    monkeypatch.delenv("BOT_NEW_SECRET_KEY", raising=False)
    db = tmp_path / "bot.sqlite3"
    seed(db, ["text"])
    secret = (tmp_path / "secret.key").read_text().strip()
    code, out, _ = run_cli(monkeypatch, capsys, ["keys", "check", "--db", str(db)])
    assert code == 0 and "Key OK" in out
    code, out, _ = run_cli(monkeypatch, capsys, ["keys", "rotate", "--db", str(db)])
    assert code == 0 and "re-wrapped" in out
    new_secret = (tmp_path / "secret.key").read_text().strip()
    assert secret not in out and new_secret not in out
    code, out, _ = run_cli(monkeypatch, capsys, ["keys", "confirm", "--db", str(db)])
    assert code == 0 and "Destroyed 1" in out
    code, out, _ = run_cli(monkeypatch, capsys, ["journal", "list", "--db", str(db)])
    assert "text" in out
    (tmp_path / "secret.key").chmod(0o644)
    code, _, err = run_cli(monkeypatch, capsys, ["keys", "check", "--db", str(db)])
    assert code == 2 and "chmod 600" in err
    (tmp_path / "secret.key").unlink()
    code, _, err = run_cli(monkeypatch, capsys, ["journal", "list", "--db", str(db)])
    assert code == 2 and "already holds data" in err and not (tmp_path / "secret.key").exists()
