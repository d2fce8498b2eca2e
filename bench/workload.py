"""Synthetic supervisee answers: varied per turn, deterministic per seed.

Answers mix ordinary reflective prose, cue words of the pack's topics (so topic matching and
passages do real work), and identifiers the scrubber must catch (names, phones, emails, dates),
plus a run-unique marker so the byte scan can prove no answer text reached the database file.
Risk cues are left out on purpose (the risk path holds the flow; it has its own tests).
"""
from __future__ import annotations

import random

from bot.core.content import get_pack

MARKER = "zqxbenchmarker"  # must never appear in the database file (answers are encrypted)

_FILLER = (
    "I noticed", "in the session", "my client", "we talked about", "when she said", "I felt",
    "it seemed to me", "afterwards I wondered", "the room went quiet", "he looked away",
    "I was not sure", "we came back to", "at the end", "there was a moment", "I tried to stay with",
    "the family", "her partner", "at school", "last week", "the next appointment", "my supervisor",
    "I would like to", "bring this to supervision", "what I missed", "how I responded",
)
_NAMES = ("Maria Gonzalez", "Jonathan Okafor", "Priya Raman", "Tom Becker", "Aisha Khan", "Liam O'Brien")
_IDS = ("call me on 07700 900123", "email jo.smith@example.org", "born 14/03/1987", "NHS 943 476 5919",
        "at 12 Hill Road", "on 3 March 2024")
_RISKY = ("suicid", "self-harm", "kill", "harm", "abuse", "safeguard", "risk", "hurt", "die", "weapon",
          "unsafe", "danger", "overdose", "cut", "assault")


_CUES: list[str] = []


def cue_words() -> list[str]:
    if _CUES:
        return _CUES
    words = _CUES
    for t in get_pack().topics:
        if t.id == "risk":
            continue
        for c in t.cues:
            c = c.rstrip("*")
            if len(c) > 2 and not any(r in c for r in _RISKY):
                words.append(c + ("ed" if c.endswith("whelm") else ""))
    return words


class Answers:
    """`next(n_chars)` gives a fresh answer of about n_chars characters."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.cues = cue_words()
        self.n = 0

    def next(self, n_chars: int = 400, identifiers: bool = True) -> str:
        rng, parts, size = self.rng, [], 0
        self.n += 1
        parts.append(f"{MARKER}{self.n}")
        while size < n_chars:
            r = rng.random()
            if r < 0.22:
                w = rng.choice(self.cues)
            elif identifiers and r < 0.26:
                w = rng.choice(_NAMES)
            elif identifiers and r < 0.28:
                w = rng.choice(_IDS)
            else:
                w = rng.choice(_FILLER)
            if rng.random() < 0.12:
                w += "."
            parts.append(w)
            size += len(w) + 1
        return " ".join(parts)[:max(n_chars, 40)]
