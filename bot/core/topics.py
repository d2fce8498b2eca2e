"""Topic rules, compiled once: text -> the topics it touches, the cues that fired, what they pull.

The cues of all rules are indexed once per rule set: a dictionary keyed by a cue's first word
(its leading run of word characters), and, for one-word wildcard cues (`overwhelm*`), a
dictionary keyed by a fixed-length prefix of the stem. A scan tokenises the lower-cased text
once, looks each distinct word up, finds where the candidate words stand, and only there tries
the few cues that begin with that word (multi-word phrases, where a space or hyphen in the cue
matches any run of spaces/hyphens, are one small prefix-trie expression per first word).
At each word start the longest cue wins, exactly as the earlier single look-ahead expression
did (kept as `CueMatcher.pattern` for inspection); each matched phrase is mapped back to its cue
by a dictionary lookup (exact phrases) or a longest-stem lookup.

Negation is a small scope rule (content/negation.yaml): a negator within a few words before the
cue, in the same clause, cancels it; two negators cancel each other. The scope is worked out
only for hits. The same `CueMatcher` serves risk screening (bot/core/safety.py).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from bot.core.content import Pack, TopicRule

_WS = re.compile(r"[\s\-]+")
_WORD = re.compile(r"[a-z0-9']+")
_SEP = "\x00"  # a space/hyphen inside a cue phrase
_WILD = "\x01"  # a trailing `*`
_END = "\x02"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_TOKEN = re.compile(r"\w+")  # the regex engine's own words, so boundaries agree with `\b` / `(?!\w)`
_BREAK_CHARS = r"[.;:!?\n()\[\]\u2014]"
_BREAK_CHAR_RE = re.compile(_BREAK_CHARS)


def normalise(text: str) -> str:
    """Lower-case, with curly apostrophes made straight (offsets are preserved)."""
    low = text.lower()
    if "\u2019" in low or "\u2018" in low or "\u02bc" in low:
        return low.translate(_APOSTROPHES)
    return low


def _is_word(ch: str) -> bool:
    """Exactly the regex engine's `\\w` for one character of a str pattern."""
    return ch.isalnum() or ch == "_"


def _breaks_source(words: Iterable[str]) -> str:
    words = "|".join(re.escape(w) for w in words)
    return _BREAK_CHARS + r"|\s-\s" + (rf"|\b(?:{words})\b" if words else "")


def _cue_key(cue: str) -> str:
    return _WS.sub(" ", normalise(cue).strip().rstrip("*").strip())


# ---------------------------------------------------------------------------- negation


@dataclass(frozen=True)
class NegationRules:
    window: int = 5
    negators: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()  # multi-word negators ("ruled out")
    not_negators: tuple[tuple[str, ...], ...] = ()
    suffix: str = "n't"
    list_words: frozenset[str] = frozenset()
    list_span: int = 3
    breaks: re.Pattern[str] = field(default=re.compile(r"[.;:!?\n()\[\]]"))
    break_words: tuple[str, ...] | None = None  # the words in `breaks` when `load` built it

    @classmethod
    def load(cls, path: Path | None = None) -> "NegationRules":
        from bot.paths import CONTENT_DIR

        data = yaml.safe_load((path or CONTENT_DIR / "negation.yaml").read_text(encoding="utf-8"))
        single, multi = set(), []
        for n in data.get("negators") or []:
            words = tuple(_WORD.findall(normalise(str(n))))
            if len(words) == 1:
                single.add(words[0])
            elif words:
                multi.append(words)
        words = tuple(data.get("clause_breaks") or [])
        breaks = re.compile(_breaks_source(words))
        return cls(
            window=int(data.get("window", 5)),
            negators=frozenset(single),
            phrases=tuple(sorted(multi, key=len, reverse=True)),
            not_negators=tuple(tuple(_WORD.findall(normalise(p))) for p in data.get("not_negators") or []),
            suffix=str(data.get("contraction_suffix", "n't")),
            list_words=frozenset(data.get("list_words") or []),
            list_span=int(data.get("list_span", 3)),
            breaks=breaks,
            break_words=words,
        )

    def break_ends(self, low: str) -> list[int]:
        """Sorted end offsets of the clause breaks in `low`: the same positions as
        `[m.end() for m in self.breaks.finditer(low)]`, found without running the alternation at
        every character when `breaks` is the expression `load` builds from plain words."""
        if not self._fast_breaks():
            return [m.end() for m in self.breaks.finditer(low)]
        # Break characters are never part of another break's match (a newline can only be the
        # last character of " -\n", which ends at the same offset), so each one ends a break.
        ends = [m.end() for m in _BREAK_CHAR_RE.finditer(low)]
        n = len(low)
        # `\b(?:word)\b` of a word of word characters is a whole token equal to it.
        for w in self.break_words or ():
            i = low.find(w)
            while i >= 0:
                j = i + len(w)
                if (i == 0 or not _is_word(low[i - 1])) and (j == n or not _is_word(low[j])):
                    ends.append(j)
                i = low.find(w, i + 1)
        # `\s-\s`, scanned left to right without overlaps ("a - - b" has one); a newline in front
        # is taken by the character class first.
        i = low.find("-", 1)
        taken = -3
        while 0 < i < n - 1:
            p = i - 1
            if p >= taken + 3 and low[p].isspace() and low[p] != "\n" and low[i + 1].isspace():
                if low[i + 1] != "\n":  # else the newline's own end, already listed
                    ends.append(i + 2)
                taken = p
            i = low.find("-", i + 1)
        ends.sort()
        return ends

    def _fast_breaks(self) -> bool:
        ok = self.__dict__.get("_fast")
        if ok is None:
            words = self.break_words
            ok = (words is not None and all(isinstance(w, str) and _TOKEN.fullmatch(w) for w in words)
                  and self.breaks.pattern == _breaks_source(words) and self.breaks.flags == re.UNICODE)
            object.__setattr__(self, "_fast", ok)
        return ok

    def count(self, words: list[str]) -> int:
        """How many negators stand in these words (the last `window` words before a cue)."""
        firsts = self.firsts()
        n, i = 0, 0
        while i < len(words):
            w = words[i]
            if w not in firsts and not w.endswith(self.suffix):
                i += 1
                continue
            skip = max((len(p) for p in self.not_negators if tuple(words[i:i + len(p)]) == p), default=0)
            if skip:
                i += skip
                continue
            phrase = next((p for p in self.phrases if tuple(words[i:i + len(p)]) == p), None)
            if phrase:
                n += 1
                i += len(phrase)
                continue
            if w in self.negators or w.endswith(self.suffix):
                n += 1
            i += 1
        return n

    def firsts(self) -> frozenset[str]:
        """Words that can start a negator or a not-negator."""
        cached = self.__dict__.get("_first_words")
        if cached is None:
            cached = frozenset(self.negators | {p[0] for p in self.phrases} | {p[0] for p in self.not_negators})
            object.__setattr__(self, "_first_words", cached)
        return cached


@lru_cache(maxsize=4)
def negation_rules(path: str | None = None) -> NegationRules:
    return NegationRules.load(Path(path) if path else None)


# ---------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class CueHit:
    """One cue found in the text: which rules it belongs to, the words as written, where."""

    cue: str  # the cue as written in the content ("overwhelm*")
    words: str  # the words that fired, lower-cased ("overwhelmed")
    start: int
    end: int
    rules: tuple[str, ...]
    negated: bool = False


def _trie_insert(trie: dict, units: list[str]) -> None:
    node = trie
    for u in units:
        node = node.setdefault(u, {})
    node[_END] = {}


def _units(cue: str) -> list[str]:
    cue = normalise(cue).strip()
    wild = cue.endswith("*")
    body = _WS.sub(" ", cue.rstrip("*").strip())
    units = [_SEP if ch == " " else ch for ch in body]
    return units + ([_WILD] if wild else [])


def _render(node: dict) -> str:
    alts = []
    ends = []
    # Longer continuations first so the engine prefers the longest cue at a position.
    for unit in sorted(node, key=lambda u: (u in (_END, _WILD), u)):
        child = node[unit]
        if unit == _END:
            ends.append(r"(?!\w)")
        elif unit == _WILD:
            ends.insert(0, r"\w*")
        else:
            head = r"[\s\-]+" if unit == _SEP else re.escape(unit)
            alts.append(head + _render(child) if child else head)
    alts += ends
    if len(alts) == 1:
        return alts[0]
    return "(?:" + "|".join(alts) + ")"


class CueMatcher:
    """Many named rules of cues, indexed once by first word; negation-aware."""

    def __init__(self, rules: Mapping[str, Iterable[str]], negation: NegationRules,
                 negatable: Iterable[str] | None = None):
        self.negation = negation
        self.negatable = set(rules if negatable is None else negatable)
        self.exact: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.stems: dict[str, tuple[str, tuple[str, ...]]] = {}
        owners: dict[tuple[str, bool], list[str]] = {}
        written: dict[tuple[str, bool], str] = {}
        trie: dict = {}
        by_head: dict[str, dict] = {}  # first word -> trie of the cues that start with it
        lead: dict = {}  # cues that start with a non-word character (tried where a word ends)
        wild_heads: set[str] = set()  # one-word wildcard cues: their stems
        for rule_id, cues in rules.items():
            for cue in cues:
                key = (_cue_key(cue), cue.strip().endswith("*"))
                if not key[0]:
                    continue
                owners.setdefault(key, [])
                if rule_id not in owners[key]:
                    owners[key].append(rule_id)
                written.setdefault(key, cue.strip())
                units = _units(cue)
                _trie_insert(trie, units)
                head = ""
                for u in units:
                    if u in (_SEP, _WILD) or not _is_word(u):
                        break
                    head += u
                if not head:
                    _trie_insert(lead, units)
                elif units[len(head):] == [_WILD]:
                    wild_heads.add(head)
                else:
                    _trie_insert(by_head.setdefault(head, {}), units)
        for (key, wild), ids in owners.items():
            (self.stems if wild else self.exact)[key] = (written[(key, wild)], tuple(ids))
        self._max_stem = max((len(k) for k in self.stems), default=0)
        self._trie = trie
        # first word -> (expression for the longer cues starting with it, or None when the only
        # such cue is the word itself)
        self._heads: dict[str, re.Pattern[str] | None] = {}
        for head, sub in by_head.items():
            node = sub
            for ch in head:
                node = node[ch]
            self._heads[head] = None if list(node) == [_END] else re.compile(_render(sub))
        self._lead = re.compile(_render(lead)) if lead else None
        # stems of one-word wildcard cues by their first `_k` characters, longest stem first
        self._k = min((len(h) for h in wild_heads), default=1)
        self._wild: dict[str, list[str]] = {}
        for h in sorted(wild_heads, key=len, reverse=True):
            self._wild.setdefault(h[:self._k], []).append(h)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """All cues as the one look-ahead expression the scan is equivalent to (inspection only)."""
        return re.compile(r"\b(?=(" + _render(self._trie) + "))") if self._trie else re.compile(r"(?!x)x")

    def _lookup(self, words: str) -> tuple[str, tuple[str, ...]] | None:
        key = _WS.sub(" ", words)
        if key in self.exact:
            return self.exact[key]
        for n in range(min(len(key), self._max_stem), 0, -1):
            hit = self.stems.get(key[:n])
            if hit:
                return hit
        return None

    def _lookup_word(self, word: str) -> tuple[str, tuple[str, ...]] | None:
        """`_lookup` of one token (no space or hyphen): only one-word stems can be its prefix."""
        found = self.exact.get(word)
        if found is None:
            for h in self._wild.get(word[:self._k], ()):
                if word.startswith(h):
                    return self.stems[h]
        return found

    def _candidates(self, low: str) -> list[tuple[int, str]]:
        """(offset, word) of every token that is, or starts with, the first word of some cue."""
        heads, wild, k = self._heads, self._wild, self._k
        if self._lead is None:
            return [(m.start(), w) for m in _TOKEN.finditer(low)
                    if (w := m.group()) in heads or w[:k] in wild]
        n = len(low)
        out = []
        for m in _TOKEN.finditer(low):
            w = m.group()
            if w in heads or w[:k] in wild:
                out.append((m.start(), w))
            if m.end() < n:  # `\b` where a word ends: cues starting with a non-word character
                out.append((m.end(), ""))
        return out

    def _raw(self, low: str) -> list[tuple[int, int, str, tuple[str, tuple[str, ...]]]]:
        """(start, end, words, (cue, rules)) at each word start where a cue matches; the longest
        match at a position, as the look-ahead expression found it."""
        heads = self._heads
        raw = []
        for start, w in self._candidates(low):
            if not w:  # a cue starting with a non-word character, at the end of a word
                m = self._lead.match(low, start)
                if m and m.end() > start:
                    found = self._lookup(m.group())
                    if found is not None:
                        raw.append((start, m.end(), m.group(), found))
                continue
            end = start + len(w)
            words = w
            pat = heads.get(w)
            if pat is not None:
                m = pat.match(low, start)
                if m and m.end() > end:
                    words = m.group()
                    found = self._lookup(words)
                    if found is not None:
                        raw.append((start, m.end(), words, found))
                    continue
            found = self._lookup_word(w)
            if found is not None:
                raw.append((start, end, w, found))
        return raw

    def scan(self, text: str) -> list[CueHit]:
        """Every cue in the text, in order, with `negated` set where negation scope applies."""
        low = normalise(text)
        raw = self._raw(low)
        if not raw:
            return []
        hits = []
        last = len(raw)
        for i, (start, end, words, found) in enumerate(raw):
            # A cue swallowed by a longer, different one that starts inside it and runs past
            # its end ("wants to kill" in "wants to kill herself") gives way to it.
            j, swallowed = i + 1, False
            while j < last and raw[j][0] < end:
                o = raw[j]
                if o[0] > start and o[1] > end and o[3][1] != found[1]:
                    swallowed = True
                    break
                j += 1
            if not swallowed:
                hits.append(CueHit(found[0], words, start, end, found[1]))
        negatable = self.negatable
        if not any(r in negatable for h in hits for r in h.rules):
            return hits
        breaks = self.negation.break_ends(low)
        return [self._negate(low, h, breaks) for h in hits]

    def _negate(self, low: str, hit: CueHit, breaks: list[int]) -> CueHit:
        if not any(r in self.negatable for r in hit.rules):
            return hit
        i = bisect.bisect_right(breaks, hit.start) - 1
        clause_start = breaks[i] if i >= 0 else 0
        before = low[clause_start:hit.start]
        if self.negation.suffix not in before and self.negation.firsts().isdisjoint(_WORD.findall(before)):
            return hit  # no word in the clause could start a negator
        comma = before.rfind(",")
        if comma >= 0:
            tail = _WORD.findall(before[comma + 1:])
            continues_list = not tail or (len(tail) <= self.negation.list_span and tail[-1] in self.negation.list_words)
            if not continues_list:
                before = before[comma + 1:]
        words = _WORD.findall(before)[-self.negation.window - 1:]
        if self.negation.count(words) % 2 == 1:
            negated_rules = tuple(r for r in hit.rules if r in self.negatable)
            if len(negated_rules) == len(hit.rules):
                return CueHit(hit.cue, hit.words, hit.start, hit.end, hit.rules, negated=True)
            kept = tuple(r for r in hit.rules if r not in self.negatable)
            return CueHit(hit.cue, hit.words, hit.start, hit.end, kept)
        return hit


# ---------------------------------------------------------------------------- topics


@dataclass(frozen=True)
class TopicMatch:
    """A topic the text touches: the cues that fired (as written in the text) and its pulls."""

    id: str
    label: str
    cues: tuple[str, ...]
    pulls: tuple[str, ...]  # claim ids, in the order they should be offered
    pole: str | None = None
    passages: bool = True
    first: int = 0  # offset of its first cue in the text

    def to_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "cues": list(self.cues), "pulls": list(self.pulls),
                "pole": self.pole}


class TopicMatcher:
    """The pack's topic rules compiled into one matcher. Build once (see `topic_matcher`)."""

    def __init__(self, pack: Pack, negation: NegationRules | None = None):
        self.pack = pack
        self.rules: dict[str, TopicRule] = {t.id: t for t in pack.topics}
        self.matcher = CueMatcher({t.id: t.cues for t in pack.topics}, negation or negation_rules(),
                                  negatable=[t.id for t in pack.topics if t.negatable])

    def match(self, text: str) -> list[TopicMatch]:
        """Topics in order of their first cue in the text; negated cues do not count."""
        cues: dict[str, list[str]] = {}
        first: dict[str, int] = {}
        for hit in self.matcher.scan(text):
            if hit.negated:
                continue
            words = hit.words if hit.words.isalnum() else _WS.sub(" ", hit.words)
            for rid in hit.rules:
                lst = cues.setdefault(rid, [])
                if words not in lst:
                    lst.append(words)
                first.setdefault(rid, hit.start)
        out = []
        for rid in sorted(cues, key=lambda r: first[r]):
            rule = self.rules[rid]
            out.append(TopicMatch(rid, rule.label, tuple(cues[rid]), rule.pulls, rule.pole, rule.passages, first[rid]))
        return out


_MATCHERS: dict[int, TopicMatcher] = {}


def topic_matcher(pack: Pack) -> TopicMatcher:
    """The compiled matcher of a pack, built on first use and kept for the process."""
    m = _MATCHERS.get(id(pack))
    if m is None or m.pack is not pack:
        m = _MATCHERS[id(pack)] = TopicMatcher(pack)
    return m


def match_topics(pack: Pack, text: str) -> list[TopicMatch]:
    return topic_matcher(pack).match(text)
