"""Normalisation, the `python -m bot scrub` command (as a real subprocess) and hostile inputs."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time

import pytest

from bot.core.privacy import normalise, scrub

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_cli(data: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "scrub", *args], cwd=ROOT, input=data,
                          capture_output=True, timeout=60)


# ---- normalisation

def test_fullwidth_digits_in_phone() -> None:
    text = "She called from \uff10\uff17\uff19\uff11\uff11 \uff11\uff12\uff13\uff14\uff15\uff16 last night."
    r = scrub(text)
    assert "07911 123456" in r.normalised
    assert r.text == "She called from [PHONE-1] last night."


def test_zero_width_space_inside_email() -> None:
    r = scrub("Write to maria.lo\u200bpez@gm\u200cail.com\ufeff today.")
    assert r.text == "Write to [EMAIL-1] today."
    assert "lopez" not in r.text


def test_rtl_override_characters() -> None:
    text = "Her number is \u202e617-555-0142\u202c and her name is \u2066Maria\u2069."
    assert normalise(text) == "Her number is 617-555-0142 and her name is Maria."
    assert scrub(text).text == "Her number is [PHONE-1] and her name is [NAME-1]."


def test_normalise_strips_all_listed_format_chars() -> None:
    chars = "".join(chr(c) for c in [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x206A), 0xFEFF])
    assert normalise(f"a{chars}b") == "ab"
    assert normalise("\ufb01ne") == "fine"  # NFKC ligature


def test_lone_surrogates_do_not_crash() -> None:
    r = scrub("Sarah \ud800 called 617-555-0142")
    assert "617" not in r.text and "Sarah" not in r.text


# ---- CLI

def test_cli_json() -> None:
    proc = run_cli("Session with Maria Lopez on 3rd April 1987; call 07911 123456.".encode(), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["text"] == "Session with [NAME-1] on [DATE-1]; call [PHONE-1]."
    kinds = [(r["kind"], r["start"], r["end"]) for r in payload["redactions"]]
    assert kinds == [("NAME", 13, 24), ("DATE", 28, 42), ("PHONE", 49, 61)]
    assert all(r["label"].startswith(r["kind"]) for r in payload["redactions"])


def test_cli_plain_text() -> None:
    proc = run_cli("I met with Sarah today.\n".encode())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == "I met with [NAME-1] today.\n"


def test_cli_invalid_utf8_does_not_crash() -> None:
    proc = run_cli(b"bad \xff\xfe bytes \xed\xa0\x80 from maria@example.com", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert "maria@example.com" not in payload["text"]
    assert "\ufffd" in payload["text"]


def test_cli_vocabulary_unchanged() -> None:
    text = "The client moved from rigidity toward chaos; we worked on widening her window of tolerance, which Siegel links to integration."
    proc = run_cli(text.encode(), "--json")
    payload = json.loads(proc.stdout)
    assert payload == {"text": text, "redactions": []}


def test_cli_help_lists_scrub() -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "--help"], cwd=ROOT, capture_output=True, timeout=60)
    assert b"scrub" in proc.stdout


# ---- hostile inputs: every pattern is linear; generous limit so a loaded machine cannot flake

HOSTILE = {
    "a": "a" * 100_000,
    "one-space": "1 " * 50_000,
    "at": "@" * 100_000,
    "a.a.": "a.a." * 25_000,
    "digits": "1" * 100_000,
    "spaces": " " * 100_000,
    "dots": "." * 100_000,
    "colons": ":" * 100_000,
    "hex-colon": "a:" * 50_000,
    "one-dot": "1." * 50_000,
    "one-dash": "1-" * 50_000,
    "one-slash": "1/" * 50_000,
    "plus-one": "+1 " * 33_333,
    "paren": "(1) " * 25_000,
    "caps": "Maria " * 16_666,
    "cap-words": "Abc Def " * 12_500,
    "dot-words": "a dot " * 20_000,
    "at-dot": "x at y dot " * 10_000,
    "street": "1 Elm Street, " * 7_000,
    "mention": "<@1" * 33_333,
    "tag": "a#1" * 33_333,
    "alnum": "aA1-" * 25_000,
    "elm-tight": "1 Elm Street," * 7_700,
    "initials-lower": "j.k. " * 20_000,
    "client-lower": "client jonah " * 7_700,
    "place": "St Mary's Hospital " * 5_300,
    "possessive": "Aisha's " * 12_500,
    "titles": "Mr. and Mrs. " * 8_400,
    "hyphen-name": "Smith-Jones " * 8_400,
    "quoted-name": '"Maria" ' * 12_500,
    "dot-com": "a.com " * 16_666,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_completes(name: str) -> None:
    scrub("warm up")
    text = HOSTILE[name]
    start = time.perf_counter()
    scrub(text)
    elapsed = time.perf_counter() - start
    print(f"{name}: {elapsed * 1000:.1f} ms")
    assert elapsed < 2.0, f"{name} took {elapsed:.2f}s"


def test_typical_answer_is_fast() -> None:
    para = ("Session 4 with Maria Lopez went badly; she called me from 07911 123456 afterwards. "
            "The client moved from rigidity toward chaos; we worked on widening her window of tolerance. "
            "Her husband Tom was there and I noticed my own attunement dropping when she described the argument. ")
    text = (para * 20)[:4000]
    scrub(text)
    best = min(_timed(text) for _ in range(5))
    print(f"4000 chars: {best * 1000:.2f} ms")
    assert best < 0.5


def _timed(text: str) -> float:
    start = time.perf_counter()
    scrub(text)
    return time.perf_counter() - start
