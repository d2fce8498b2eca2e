"""Risk screening of every answer, before anything else is said.

Three categories (self-harm or suicide, harm to others, abuse or safeguarding), cues as data in
content/safety.yaml, matched by the same one-pass, negation-aware `CueMatcher` as the topic
rules: "denies suicidal ideation" is not a hit, "denies SI but said she'd be better off dead" is.
A hit means: no theory this turn, the safeguarding message, and the flow waits for an explicit
"continue". The screen errs toward speaking up; it never diagnoses or scores risk.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.core.topics import CueMatcher, NegationRules, negation_rules


@dataclass(frozen=True)
class RiskCategory:
    id: str
    label: str
    cues: tuple[str, ...]


@dataclass(frozen=True)
class RiskHit:
    """A category that fired, with the words that fired it (as written, lower-cased)."""

    id: str
    label: str
    cues: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "cues": list(self.cues)}


class SafetyScreen:
    def __init__(self, categories: tuple[RiskCategory, ...], negation: NegationRules | None = None):
        self.categories = {c.id: c for c in categories}
        self.matcher = CueMatcher({c.id: c.cues for c in categories}, negation or negation_rules(),
                                  phrases_end_lists=True)

    @classmethod
    def load(cls, path: Path | None = None) -> "SafetyScreen":
        from bot.paths import CONTENT_DIR

        path = path or CONTENT_DIR / "safety.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        cats = []
        for i, c in enumerate(data.get("categories") or []):
            if not isinstance(c, dict) or not c.get("id") or not isinstance(c.get("cues"), list) or not c["cues"]:
                raise ValueError(f"{path.name}: categories[{i}]: needs an id and a list of cues")
            cats.append(RiskCategory(str(c["id"]), str(c.get("label") or c["id"]), tuple(str(x) for x in c["cues"])))
        if not cats:
            raise ValueError(f"{path.name}: no risk categories")
        return cls(tuple(cats))

    def screen(self, text: str) -> list[RiskHit]:
        """The categories this text raises, in the order of the content file; [] when none."""
        found: dict[str, list[str]] = {}
        for hit in self.matcher.scan(text):
            if hit.negated:
                continue
            for rid in hit.rules:
                lst = found.setdefault(rid, [])
                if hit.words not in lst:
                    lst.append(hit.words)
        return [RiskHit(c.id, c.label, tuple(found[c.id])) for c in self.categories.values() if c.id in found]


@lru_cache(maxsize=2)
def safety_screen(path: str | None = None) -> SafetyScreen:
    """The screen compiled once per process."""
    return SafetyScreen.load(Path(path) if path else None)


def screen(text: str) -> list[RiskHit]:
    return safety_screen().screen(text)
