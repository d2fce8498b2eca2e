"""Pure helpers of the supervisor side: built-in prompts, parsing a schedule's time, and the
digest series for charts. No discord import, no I/O except reading prompts/builtin.yaml once."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Iterable, Mapping

import yaml

from bot.core.content import Pack, get_pack
from bot.core.digest import EntryFacts, build_digest
from bot.core.schedule import week_bounds, week_key
from bot.paths import PROMPTS_DIR

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^\s*(\d{1,2})(?::|\.|h)?(\d{2})?\s*$")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class BuiltinPrompt:
    id: str
    title: str  # the theme or topic label
    text: str


@lru_cache(maxsize=4)
def builtin_prompts(pack_id: str = "ipnb") -> dict[str, BuiltinPrompt]:
    """The six supervision questions (one per theme) and one prompt per topic, by id."""
    pack = get_pack(pack_id)
    data = yaml.safe_load((PROMPTS_DIR / "builtin.yaml").read_text(encoding="utf-8"))
    questions = {q.id: q for q in pack.questions}
    out: dict[str, BuiltinPrompt] = {}
    for item in data["questions"]:
        q = questions[item["question"]]
        out[item["id"]] = BuiltinPrompt(item["id"], q.theme.replace("-", " "), q.text)
    labels = {t.id: t.label for t in pack.topics}
    for tid, text in data["topics"].items():
        key = tid if tid not in out else f"topic-{tid}"
        out[key] = BuiltinPrompt(key, labels[tid], text)
    return out


def parse_time(text: str) -> time | None:
    """"09:00", "9:30", "0930", "9" -> a wall-clock time; None if not a time."""
    m = _TIME.match(text or "")
    if not m:
        return None
    digits = m.group(1) + (m.group(2) or "")
    if m.group(2) is None and len(digits) in (3, 4):
        hour, minute = int(digits[:-2]), int(digits[-2:])
    elif m.group(2) is None:
        hour, minute = int(digits), 0
    else:
        hour, minute = int(m.group(1)), int(m.group(2))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def valid_name(name: str) -> bool:
    return bool(NAME.match(name or ""))


def previous_weeks(key: str, tz: str, n: int) -> list[str]:
    """The n week keys ending with `key`, oldest first."""
    start, _ = week_bounds(key, tz)
    return [week_key(start - timedelta(days=7 * i) + timedelta(hours=12), tz) for i in range(n - 1, -1, -1)]


def topic_series(weeks: Mapping[str, Iterable[EntryFacts]], labels: Mapping[str, str],
                 poles: Mapping[str, str] | None = None) -> dict[str, dict[str, int | None]]:
    """week -> topic label -> count (None = suppressed for anonymity), for charts."""
    out: dict[str, dict[str, int | None]] = {}
    for week, entries in weeks.items():
        d = build_digest(week, list(entries), poles)
        out[week] = {labels.get(t, t): c for t, c in d.topic_series().items()}
    return out


def personal_series(entries: Iterable[tuple[datetime, list[str]]], tz: str, labels: Mapping[str, str],
                    weeks: int = 8, now: datetime | None = None) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """A person's own (created_at, topics) -> reflections per week and topic counts per week."""
    per_week: dict[str, int] = {}
    topics: dict[str, dict[str, int]] = {}
    items = list(entries)
    if now is not None:
        for w in previous_weeks(week_key(now, tz), tz, weeks):
            per_week[w] = 0
            topics[w] = {}
    for created, tids in items:
        w = week_key(created, tz)
        if now is not None and w not in per_week:
            continue
        per_week[w] = per_week.get(w, 0) + 1
        bucket = topics.setdefault(w, {})
        for t in dict.fromkeys(tids):
            label = labels.get(t, t)
            bucket[label] = bucket.get(label, 0) + 1
    return per_week, topics


def pack_for(pack_id: str = "ipnb") -> Pack:
    return get_pack(pack_id)
