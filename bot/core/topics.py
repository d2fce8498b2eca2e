"""Topic rules, compiled once: text -> the topics it touches, the cues that fired, what they pull.

All cues of all rules become ONE regular expression: a prefix trie of the cue phrases rendered
as nested alternations (so the engine tries a handful of first letters at each word start, not
hundreds of phrases), wrapped in a look-ahead so overlapping cues are all seen in a single pass
over the lower-cased text. The pass tries the expression only just after a non-word character
(every cue begins with a word character), so the positions inside words cost next to nothing.
Each matched phrase is mapped back to its cue by a dictionary lookup (phrases as usually written,
bare stems and their common endings, all precomputed from the content) or else a longest-stem
lookup (`overwhelm*`).

Negation is a small scope rule (content/negation.yaml): a negator within a few words before the
cue, in the same clause, cancels it; two negators cancel each other. It is worked out only for
cues of negatable rules, and only where a pre-check (one anchored match on the reversed text,
word by word back from the cue) finds a word that could negate; the clause is then searched back
from the cue, not over the whole text. Nothing derived from the text outlives the call. The same
`CueMatcher` serves risk screening (bot/core/safety.py).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, islice, product, repeat
from operator import add, itemgetter, lt, not_
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


def normalise(text: str) -> str:
    """Lower-case, with curly apostrophes made straight (offsets are preserved)."""
    return text.lower().translate(_APOSTROPHES)


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
    list_fillers: frozenset[str] = frozenset()
    breaks: re.Pattern[str] = field(default=re.compile(r"[.;:!?\n()\[\]]"))

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
        words = "|".join(re.escape(w) for w in data.get("clause_breaks") or [])
        breaks = re.compile(r"[.;:!?\n()\[\]\u2014]|\s-\s" + (rf"|\b(?:{words})\b" if words else ""))
        return cls(
            window=int(data.get("window", 5)),
            negators=frozenset(single),
            phrases=tuple(sorted(multi, key=len, reverse=True)),
            not_negators=tuple(tuple(_WORD.findall(normalise(p))) for p in data.get("not_negators") or []),
            suffix=str(data.get("contraction_suffix", "n't")),
            list_words=frozenset(data.get("list_words") or []),
            list_span=int(data.get("list_span", 3)),
            list_fillers=frozenset(data.get("list_fillers") or []),
            breaks=breaks,
        )

    def continues_list(self, tail: list[str]) -> bool:
        """After a comma, is this the same list going on? "…, or numbing" / "…, and any self-harm"
        (a list word, then only fillers such as "any") — but not "…, and wants to die"."""
        if len(tail) > self.list_span:
            return False
        if tail[-1] in self.list_words:
            return True
        return tail[0] in self.list_words and all(w in self.list_fillers for w in tail[1:])

    def count(self, words: list[str]) -> int:
        """How many negators stand in these words (the last `window` words before a cue)."""
        firsts = self._firsts()
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

    def _firsts(self) -> frozenset[str]:
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
    """Many named rules of cues, one compiled expression; negation-aware."""

    def __init__(self, rules: Mapping[str, Iterable[str]], negation: NegationRules,
                 negatable: Iterable[str] | None = None, phrases_end_lists: bool = False):
        self.negation = negation
        # risk screening: a several-word cue after a comma starts something new ("denied SI, and
        # wants to die"), only single items ("…, and any self-harm") carry the list's negation
        self.phrases_end_lists = phrases_end_lists
        self.negatable = set(rules if negatable is None else negatable)
        self.exact: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.stems: dict[str, tuple[str, tuple[str, ...]]] = {}
        owners: dict[tuple[str, bool], list[str]] = {}
        written: dict[tuple[str, bool], str] = {}
        trie: dict = {}
        for rule_id, cues in rules.items():
            for cue in cues:
                key = (_cue_key(cue), cue.strip().endswith("*"))
                if not key[0]:
                    continue
                owners.setdefault(key, [])
                if rule_id not in owners[key]:
                    owners[key].append(rule_id)
                written.setdefault(key, cue.strip())
                _trie_insert(trie, _units(cue))
        for (key, wild), ids in owners.items():
            (self.stems if wild else self.exact)[key] = (written[(key, wild)], tuple(ids))
        # stems by their first letters (as many as the shortest stem has, at most 4), longest first
        self._head = min(4, min((len(k) for k in self.stems), default=1))
        self._stems_by_head: dict[str, list[tuple[str, tuple[str, tuple[str, ...]]]]] = {}
        for k in sorted(self.stems, key=len, reverse=True):
            self._stems_by_head.setdefault(k[:self._head], []).append((k, self.stems[k]))
        body = _render(trie) if trie else ""
        self.pattern = re.compile(r"\b(?=(" + body + "))") if trie else re.compile(r"(?!x)x")
        # The same expression, tried only just after a non-word character of " " + text: every cue
        # begins with a word character, where \b means exactly that, and the engine skips the
        # positions inside words without entering the expression.
        self._after_gap = (re.compile(r"\W(?=(" + body + "))")
                           if trie and all(re.match(r"\w", u) for u in trie) else None)
        # Phrases as they are usually written ("self-harm", "self harm") -> what the cue gives.
        self._known: dict[str, _Info] = {}
        for key, (cue, ids) in self.exact.items():
            info = self._info(key, cue, ids)
            parts = key.split(" ")
            if len(parts) <= 5:
                for seps in product(" -", repeat=len(parts) - 1):
                    self._known["".join(p + s for p, s in zip(parts, seps + ("",)))] = info
        # and the bare stems and their commonest endings ("trauma", "overwhelmed")
        for key in self.stems:
            parts = key.split(" ")
            if len(parts) <= 3:
                for seps in product(" -", repeat=len(parts) - 1):
                    stem = "".join(p + s for p, s in zip(parts, seps + ("",)))
                    for ending in _ENDINGS:
                        if stem + ending not in self._known:
                            found = self._lookup(stem + ending)
                            self._known[stem + ending] = self._info(_WS.sub(" ", stem + ending), *found)
        self._near = _negator_filter(negation, trie)
        self._local_breaks = _local_breaks_ok(negation)
        self._reach = max(negation.window + 2, negation.list_span + 1)

    def _info(self, key: str, cue: str, ids: tuple[str, ...]) -> "_Info":
        return cue, ids, any(r in self.negatable for r in ids), key

    def _lookup(self, words: str) -> tuple[str, tuple[str, ...]] | None:
        """The cue of matched words: the exact phrase, else the longest stem they begin with."""
        key = words if words.isalnum() else _WS.sub(" ", words)
        hit = self.exact.get(key)
        if hit:
            return hit
        for stem, hit in self._stems_by_head.get(key[:self._head], ()):
            if key.startswith(stem):
                return hit
        return None

    def scan(self, text: str) -> list[CueHit]:
        """Every cue in the text, in order, with `negated` set where negation scope applies."""
        starts, words, infos, changed = self._scan(normalise(text))
        hits = []
        for i, (s, w, info) in enumerate(zip(starts, words, infos)):
            rules, negated = info[1], False
            if i in changed:
                kept = changed[i]
                rules, negated = (rules, True) if kept is None else (kept, False)
            hits.append(CueHit(info[0], w, s, s + len(w), rules, negated))
        return hits

    def _scan(self, low: str) -> tuple[list[int], list[str], list["_Info"], dict[int, tuple[str, ...] | None]]:
        """The cues of lower-cased text as parallel lists (start, words as written, what the cue
        gives), and the hits negation changes: index -> None (negated) or the rules it keeps."""
        if self._after_gap is not None:
            found = list(self._after_gap.finditer(" " + low))  # offset 1: the gap's start is the cue's
        else:
            found = list(self.pattern.finditer(low))
        if not found:
            return [], [], [], {}
        starts = list(map(re.Match.start, found))
        words = list(map(re.Match.group, found, repeat(1)))
        infos = list(map(self._known.get, words))
        if None in infos:
            local = {}
            for w in dict.fromkeys(compress(words, map(not_, infos))):
                found_cue = self._lookup(w)
                if found_cue is None:  # pragma: no cover - the trie only accepts known cues
                    raise AssertionError(w)
                local[w] = self._info(w if w.isalnum() else _WS.sub(" ", w), *found_cue)
            infos = list(map(local.get, words, infos))
        if len(starts) > 1 and any(map(lt, islice(starts, 1, None), map(add, starts, map(len, words)))):
            starts, words, infos = self._unswallowed(starts, words, infos)
        changed: dict[int, tuple[str, ...] | None] = {}
        negatable = list(compress(range(len(starts)), map(itemgetter(2), infos)))
        if negatable:
            if self._near is not None:
                rev, n = low[::-1], len(low)
                near = self._near.match
                negatable = [i for i in negatable if near(rev, n - starts[i])]
            breaks = None
            for i in negatable:
                if self._local_breaks:
                    before = self._clause_before(low, starts[i])
                else:
                    if breaks is None:
                        breaks = [m.end() for m in self.negation.breaks.finditer(low)]
                    j = bisect.bisect_right(breaks, starts[i]) - 1
                    before = low[breaks[j] if j >= 0 else 0:starts[i]]
                info = infos[i]
                if self._negated(before, words[i]):
                    kept = tuple(r for r in info[1] if r not in self.negatable)
                    changed[i] = kept or None
        return starts, words, infos, changed

    def _unswallowed(self, starts, words, infos):
        # A cue swallowed by a longer, different one that starts inside it and runs past its end
        # ("wants to kill" in "wants to kill herself") gives way to it.
        ends = list(map(add, starts, map(len, words)))
        n, gone = len(starts), set()
        for i in compress(range(n - 1), map(lt, islice(starts, 1, None), ends)):
            j = i + 1
            while j < n and starts[j] < ends[i]:
                if starts[j] > starts[i] and ends[j] > ends[i] and infos[j][1] != infos[i][1]:
                    gone.add(i)
                    break
                j += 1
        if not gone:
            return starts, words, infos
        keep = [i for i in range(n) if i not in gone]
        pick = itemgetter(*keep) if len(keep) > 1 else (lambda xs: (xs[keep[0]],))
        return list(pick(starts)), list(pick(words)), list(pick(infos))

    def _clause_before(self, low: str, start: int) -> str:
        """The text of the clause before a cue, as far as negation can see: its last words from
        the latest clause break (or enough words back that the clause start cannot matter)."""
        reach, step = self._reach, 128
        while True:
            a = max(0, start - step)
            toks = [m.start() for m in _WORD.finditer(low, a, start)]
            if len(toks) > reach:
                r = toks[-reach]  # a whole word: the one before it ends before it
                break
            if a == 0:
                r = 0
                break
            step *= 4
        # r begins a word, so no clause break spans it: breaks found from r are the text's breaks
        cs = r
        for m in self.negation.breaks.finditer(low, r, start + 1):
            if m.end() > start:
                break
            cs = m.end()
        return low[cs:start]

    def _negated(self, before: str, words: str) -> bool:
        comma = before.rfind(",")
        if comma >= 0:
            tail = _WORD.findall(before[comma + 1:])
            continues_list = not tail or self.negation.continues_list(tail)
            if continues_list and self.phrases_end_lists and len(words.split()) > 1:
                continues_list = False
            if not continues_list:
                before = before[comma + 1:]
        return self.negation.count(_WORD.findall(before)[-self.negation.window - 1:]) % 2 == 1


_ENDINGS = ("", "s", "es", "ed", "ing", "ion", "ions", "ic", "ive", "ity", "ness", "ly", "al", "ally")
_Info = tuple  # (cue as written, rule ids, any of them negatable, the cue's words normalised)


def _local_breaks_ok(negation: NegationRules) -> bool:
    """Whether clause breaks can be searched from the start of any word (no break spans a word
    start): the breaks of `NegationRules.load` with one-word clause breaks."""
    m = re.fullmatch(r"\[\.;:!\?\\n\(\)\\\[\\\]\\u2014\]\|\\s-\\s(?:\|\\b\(\?:(.*)\)\\b)?", negation.breaks.pattern)
    if not m or negation.breaks.flags & re.IGNORECASE:
        return False
    return m.group(1) is None or all(re.fullmatch(r"[a-z0-9]+", w) for w in m.group(1).split("|"))


def _negator_filter(negation: NegationRules, trie: dict) -> re.Pattern[str] | None:
    """An expression matched on the reversed text at a cue's start: does a word that could negate
    (a negator, the first word of a negator or not-negator phrase, a contraction) stand among the
    `window + 1` words before the cue? It may say yes too often, never no too often. A not-negator
    ("not sure") written with one space is left out: counting skips it too."""
    firsts = negation._firsts()
    if not firsts or any(not w or w[0] == "'" or not re.fullmatch(r"[a-z0-9']+", w) for w in firsts):
        return None
    if not all(re.fullmatch(r"[a-z0-9']+", u) for u in trie):
        return None  # a cue must begin with a word letter (see not-negators below)
    suffix = negation.suffix
    if not suffix or not re.fullmatch(r"[a-z0-9']+", suffix):
        return None
    # words after which a not-negator's first word may be skipped: none may be the first word of
    # a cue (the cue would stand where the rest of the not-negator should), nor inside a phrase
    inner = {w for p in negation.phrases + negation.not_negators for w in p[1:]}
    skips: dict[str, list[tuple[str, ...]]] = {}
    for p in negation.not_negators:
        if len(p) > 1 and p[0] not in inner and not p[0].endswith(suffix) and all(
                re.fullmatch(r"[a-z0-9]+", w) and not _cue_could_start(trie, w) for w in p[1:]):
            skips.setdefault(p[0], []).append(p[1:])
    trie_n: dict = {}
    for w in firsts:
        _trie_insert(trie_n, list(w[::-1]))
    guards = {w[::-1]: "".join(rf"(?<![^a-z0-9']{re.escape(' '.join(rest)[::-1] + ' ' + w[::-1])})"
                               for rest in skips.get(w, ())) for w in firsts}

    def render(node: dict, path: str) -> str:
        alts = [re.escape(u) + render(node[u], path + u) for u in sorted(node) if u != _END]
        if _END in node:
            alts.append(r"(?![a-z0-9'])" + guards[path])
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    negator = "(?:" + render(trie_n, "") + "|" + re.escape(suffix[::-1]) + ")"
    # word by word back from the cue, each tried once: a negator here, or skip it and go on
    rx = negator
    for _ in range(negation.window):
        rx = "(?:" + negator + r"|[a-z0-9']++[^a-z0-9']++" + rx + ")"
    return re.compile(r"[^a-z0-9']*+" + rx)


def _cue_could_start(trie: dict, word: str) -> bool:
    """Could a cue begin with these letters (a phrase's next word, `word*` or a longer word)?"""
    node = trie
    for ch in word:
        if _WILD in node:
            return True
        node = node.get(ch)
        if node is None:
            return False
    return True


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
        starts, words, infos, changed = self.matcher._scan(normalise(text))
        cues: dict[str, list[str]] = {}
        first: dict[str, int] = {}
        if changed and None in changed.values():  # negated cues do not count
            gone = {i for i, r in changed.items() if r is None}
            keep = [i for i in range(len(starts)) if i not in gone]
            now = {i: k for k, i in enumerate(keep)}
            changed = {now[i]: r for i, r in changed.items() if r is not None}
            starts, infos = [starts[i] for i in keep], [infos[i] for i in keep]
        if changed:  # partly negated cues keep only their other rules
            for i, (s, info) in enumerate(zip(starts, infos)):
                rules = changed.get(i, info[1])
                for rid in rules or ():
                    lst = cues.setdefault(rid, [])
                    if info[3] not in lst:
                        lst.append(info[3])
                    first.setdefault(rid, s)
        elif starts:
            # each distinct cue (its words, normalised) once, in order of its first place
            said = list(map(itemgetter(3), infos))
            at = dict(zip(reversed(said), reversed(starts)))
            gives = dict(zip(said, infos))
            for words in dict.fromkeys(said):
                for rid in gives[words][1]:
                    lst = cues.get(rid)
                    if lst is None:
                        cues[rid] = [words]
                        first[rid] = at[words]
                    else:
                        lst.append(words)
        out = []
        for rid in sorted(cues, key=first.__getitem__):
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
