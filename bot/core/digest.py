"""The weekly anonymised group digest as pure data, and its rendering.

Supervisors see what the group is working on, never who said what. Two rules:
- k-anonymity (k=3): a count is only shown when at least 3 distinct people contribute to it;
  otherwise it is suppressed and the template says "fewer than 3". A count of zero is shown
  (it singles out nobody). Suppressed topics and skipped questions are not named at all.
- Only excerpts an author chose to share appear, as given, with no author information, in an
  order that depends only on the excerpts and the week (sorted, then shuffled with a
  week-seeded generator), so neither input order nor position reveals who wrote them.
"""
from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from bot.core.content import Pack
from bot.core.render import render

K_ANONYMITY = 3
POLES = ("chaos", "rigidity")


@dataclass(frozen=True)
class EntryFacts:
    """What one saved reflection contributes to the week (no text except chosen excerpts)."""

    author: str  # pseudonym; used only to count distinct people, never output
    topics: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)  # question ids
    skipped: list[str] = field(default_factory=list)  # question ids
    shared_excerpts: list[str] = field(default_factory=list)  # ONLY what the author chose to share


@dataclass(frozen=True)
class CountOrSuppressed:
    """A count, or None when fewer than K_ANONYMITY people contributed to it."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @classmethod
    def of(cls, count: int, people: int) -> "CountOrSuppressed":
        return cls(count if people >= K_ANONYMITY or count == 0 else None)


@dataclass(frozen=True)
class Balance:
    """Where the group's reflections sat between the chaos and rigidity poles of integration.

    Only built when at least 3 people touched either pole; each pole's own count is still
    suppressed when fewer than 3 people touched that pole, so the balance never reveals a
    count the topic list hides. `lean` compares the raw counts (one fact about >= 3 people).
    """

    chaos: CountOrSuppressed
    rigidity: CountOrSuppressed
    lean: str  # "chaos", "rigidity" or "balanced" (the template words it)


@dataclass(frozen=True)
class Digest:
    week: str
    reflections: CountOrSuppressed
    participants: CountOrSuppressed
    topic_counts: dict[str, CountOrSuppressed]  # every topic seen; suppressed ones hold None
    chaos_vs_rigidity: Balance | None  # None when fewer than 3 people touched either pole
    most_skipped_questions: list[tuple[str, int]]  # unsuppressed only, most skipped first
    excerpts: list[str]

    @property
    def shown_topics(self) -> list[tuple[str, int]]:
        """Topics safe to name, most frequent first (ties by name)."""
        shown = [(t, c.value) for t, c in self.topic_counts.items() if c.value is not None and c.value > 0]
        return sorted(shown, key=lambda tc: (-tc[1], tc[0]))

    @property
    def has_hidden_topics(self) -> bool:
        return any(c.suppressed for c in self.topic_counts.values())

    def topic_series(self) -> dict[str, int | None]:
        """For charts: suppressed topics map to None (drawn as absent, not as zero)."""
        return {t: c.value for t, c in sorted(self.topic_counts.items())}


def _people_by(entries: Iterable[EntryFacts], key: str) -> tuple[Counter[str], dict[str, set[str]]]:
    """Per item (topic or question id): how many entries mention it, and who."""
    counts: Counter[str] = Counter()
    people: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        for item in dict.fromkeys(getattr(e, key)):  # an entry counts once per item
            counts[item] += 1
            people[item].add(e.author)
    return counts, people


def _shuffled(excerpts: list[str], week: str) -> list[str]:
    seed = int.from_bytes(hashlib.sha256(f"digest-excerpts:{week}".encode()).digest()[:8], "big")
    out = sorted(excerpts)
    random.Random(seed).shuffle(out)
    return out


def build_digest(week: str, entries: list[EntryFacts], poles: Mapping[str, str] | None = None,
                 max_skipped: int = 3) -> Digest:
    """Aggregate a week's entries into an anonymised digest.

    `poles` maps topic ids to "chaos"/"rigidity" (from the pack's topic rules); by default
    the topics named "chaos" and "rigidity" themselves.
    """
    poles = dict(poles) if poles is not None else {p: p for p in POLES}
    authors = {e.author for e in entries}
    n = len(authors)

    topic_counts, topic_people = _people_by(entries, "topics")
    topics = {t: CountOrSuppressed.of(c, len(topic_people[t])) for t, c in topic_counts.items()}

    skip_counts, skip_people = _people_by(entries, "skipped")
    skipped = [(q, c) for q, c in skip_counts.items() if len(skip_people[q]) >= K_ANONYMITY]
    skipped.sort(key=lambda qc: (-qc[1], qc[0]))

    pole_entries: Counter[str] = Counter()
    pole_people: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        for pole in {poles[t] for t in e.topics if poles.get(t) in POLES}:
            pole_entries[pole] += 1
            pole_people[pole].add(e.author)
    balance = None
    if len(pole_people["chaos"] | pole_people["rigidity"]) >= K_ANONYMITY:
        chaos, rigidity = pole_entries["chaos"], pole_entries["rigidity"]
        lean = "chaos" if chaos > rigidity else "rigidity" if rigidity > chaos else "balanced"
        balance = Balance(CountOrSuppressed.of(chaos, len(pole_people["chaos"])),
                          CountOrSuppressed.of(rigidity, len(pole_people["rigidity"])), lean)

    return Digest(
        week=week,
        reflections=CountOrSuppressed.of(len(entries), n),
        participants=CountOrSuppressed.of(n, n),
        topic_counts=topics,
        chaos_vs_rigidity=balance,
        most_skipped_questions=skipped[:max_skipped],
        excerpts=_shuffled([x for e in entries for x in e.shared_excerpts if x and x.strip()], week),
    )


def render_digest(digest: Digest, topic_labels: Mapping[str, str] | None = None,
                  question_texts: Mapping[str, str] | None = None, target: str = "discord",
                  group: str | None = None) -> str:
    """The digest as a message (prompts/digest/digest.j2); all wording lives in the template."""
    labels = dict(topic_labels or {})
    questions = dict(question_texts or {})
    return render(
        "digest/digest.j2", target=target, digest=digest, group=group,
        topics=[(labels.get(t, t), c) for t, c in digest.shown_topics],
        skipped=[(q, questions.get(q, q), c) for q, c in digest.most_skipped_questions],
    )


def pack_labels(pack: Pack) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(topic labels, question texts, topic poles) from a content Pack, for the two calls above."""
    labels = {t.id: t.label for t in pack.topics}
    questions = {q.id: q.text for q in pack.questions}
    poles = {t.id: t.pole for t in pack.topics if t.pole}
    return labels, questions, poles
