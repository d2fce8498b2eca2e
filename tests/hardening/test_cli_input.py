"""Bad input on the real CLI's stdin (`chat`, `scrub`, `topics`, `journal edit`), as a subprocess:
exit 0 or a clear refusal, never a traceback, never an evaluated template, nothing lost."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.core.keys import encode_secret, generate_secret
from bot.core.privacy import scrub
from tests.helpers import ROOT
from tests.hardening.conftest import private, secret
from tests.hardening.payloads import PAYLOADS

BAD_BYTES = b"invalid \xff\xfe utf-8 \xed\xa0\x80 and \xc3 here"


def run_bytes(args: list[str], stdin: bytes, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    full.update({"PYTHONPATH": str(ROOT), "BOT_LOG_LEVEL": "WARNING", **env})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, env=full,
                          cwd=str(ROOT), timeout=timeout)


def ok(r: subprocess.CompletedProcess) -> str:
    err = r.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-2000:]
    assert r.returncode == 0, err[-2000:]
    out = r.stdout.decode("utf-8", "replace")
    assert "= 49" not in out and " 49 " not in out and "\"49" not in out  # {{ 7*7 }} never evaluated
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split("\n"))


def test_chat_keeps_every_hostile_answer_and_export_returns_it(tmp_path):
    key = encode_secret(generate_secret())
    secret(key)
    env = {"BOT_DATA_DIR": str(tmp_path), "BOT_SECRET_KEY": key}
    names = list(PAYLOADS)
    batches = [names[:6], names[6:12], names[12:] + names[:5]]
    for batch in batches:
        lines = [_one_line(PAYLOADS[n]).encode("utf-8", "surrogatepass") for n in batch]
        if batch is batches[0]:
            lines[1] = BAD_BYTES  # invalid UTF-8 on stdin instead of the lone-surrogate string
        private(*(PAYLOADS[n] for n in batch))
        stdin = b"\n".join(lines) + b"\n/save\n"
        ok(run_bytes(["chat", "--new", "--case", "A.B.", "--yes"], stdin, env))
    out = ok(run_bytes(["journal", "export", "--format", "json"], b"", env))
    doc = json.loads(out)
    assert doc["count"] == 3
    answers = [a for e in doc["entries"] for a in e["answers"].values()]
    for batch in batches:
        for n in batch:
            if n == "lone_surrogates":  # on stdin these are invalid bytes: checked just below
                continue
            expected = scrub(_one_line(PAYLOADS[n]).strip()).text
            assert expected in answers, (n, expected[:80])
    assert any("utf-8" in a and "invalid" in a for a in answers)  # the valid parts of the bad bytes kept
    assert max(len(a) for a in answers) >= 99_000  # the 100,000-character answer was not cut


def test_scrub_and_topics_take_anything(tmp_path):
    everything = "\n".join(PAYLOADS.values()).encode("utf-8", "surrogatepass") + b"\n" + BAD_BYTES
    for args in (["scrub"], ["scrub", "--json"], ["topics"], ["topics", "--explain"]):
        for stdin in (everything, BAD_BYTES, b"", b"   \n\t", "😀😀".encode()):
            out = ok(run_bytes(args, stdin, {"BOT_DATA_DIR": str(tmp_path)}))
            if args == ["scrub", "--json"]:
                json.loads(out)
            if args == ["scrub"] and stdin is everything:
                assert "{{ 7*7 }}" in out and "DROP TABLE entries" in out
                assert len(out) > 100_000  # nothing dropped


def test_journal_edit_with_hostile_text(tmp_path):
    key = encode_secret(generate_secret())
    secret(key)
    env = {"BOT_DATA_DIR": str(tmp_path), "BOT_SECRET_KEY": key}
    ok(run_bytes(["chat", "--case", "A.B.", "--yes"], b"A first answer about the session.\n/finish\n/save\n", env))
    entry_id = json.loads(ok(run_bytes(["journal", "export", "--format", "json"], b"", env)))["entries"][0]["id"]
    for name in ("jinja", "mentions", "sql", "arabic", "markdown", "long"):
        private(PAYLOADS[name])
        ok(run_bytes(["journal", "edit", entry_id, "--yes"], PAYLOADS[name].encode(), env))
        shown = json.loads(ok(run_bytes(["journal", "export", "--format", "json"], b"", env)))["entries"][0]
        assert shown["text"] == scrub(PAYLOADS[name].strip("\n")).text
    r = run_bytes(["journal", "edit", entry_id, "--yes"], BAD_BYTES, env)
    ok(r)
    for blank in (b"", b"  \n\n", b"\t"):
        r = run_bytes(["journal", "edit", entry_id, "--yes"], blank, env)
        err = r.stderr.decode()
        assert r.returncode == 1 and "Traceback" not in err and err.strip()  # refused with a message
    r = run_bytes(["journal", "edit", "'); DROP TABLE entries;--", "--yes"], b"text", env)
    assert r.returncode == 1 and "Traceback" not in r.stderr.decode()
    doc = json.loads(ok(run_bytes(["journal", "export", "--format", "json"], b"", env)))
    assert doc["count"] == 1 and len(doc["entries"][0]["history"]) == 7
