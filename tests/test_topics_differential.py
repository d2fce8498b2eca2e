"""Differential test: the token-indexed CueMatcher against the single look-ahead expression it
replaced (copied below as `ReferenceCueMatcher`, the oracle), on generated texts."""
from __future__ import annotations

import bisect
import re

from hypothesis import given, settings, strategies as st

from bot.core.content import get_pack
from bot.core.safety import safety_screen
from bot.core.topics import CueHit, CueMatcher, _WS, _WORD, _cue_key, negation_rules, normalise

_SEP = "\x00"
_WILD = "\x01"
_END = "\x02"


# ---------------------------------------------------------------- reference (old implementation)

def _ref_trie_insert(trie: dict, units: list[str]) -> None:
    node = trie
    for u in units:
        node = node.setdefault(u, {})
    node[_END] = {}


def _ref_units(cue: str) -> list[str]:
    cue = normalise(cue).strip()
    wild = cue.endswith("*")
    body = _WS.sub(" ", cue.rstrip("*").strip())
    units = [_SEP if ch == " " else ch for ch in body]
    return units + ([_WILD] if wild else [])


def _ref_render(node: dict) -> str:
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
            alts.append(head + _ref_render(child) if child else head)
    alts += ends
    if len(alts) == 1:
        return alts[0]
    return "(?:" + "|".join(alts) + ")"


class ReferenceCueMatcher:
    """The single look-ahead implementation this module replaced, kept verbatim as the oracle."""

    def __init__(self, rules: Mapping[str, Iterable[str]], negation: NegationRules,
                 negatable: Iterable[str] | None = None):
        self.negation = negation
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
                _ref_trie_insert(trie, _ref_units(cue))
        for (key, wild), ids in owners.items():
            (self.stems if wild else self.exact)[key] = (written[(key, wild)], tuple(ids))
        self._max_stem = max((len(k) for k in self.stems), default=0)
        self.pattern = re.compile(r"\b(?=(" + _ref_render(trie) + "))") if trie else re.compile(r"(?!x)x")

    def _lookup(self, words: str) -> tuple[str, tuple[str, ...]] | None:
        key = _WS.sub(" ", words)
        if key in self.exact:
            return self.exact[key]
        for n in range(min(len(key), self._max_stem), 0, -1):
            hit = self.stems.get(key[:n])
            if hit:
                return hit
        return None

    def scan(self, text: str) -> list[CueHit]:
        """Every cue in the text, in order, with `negated` set where negation scope applies."""
        low = normalise(text)
        raw: list[CueHit] = []
        for m in self.pattern.finditer(low):
            words = m.group(1)
            found = self._lookup(words)
            if found is None:  # pragma: no cover - the trie only accepts known cues
                continue
            raw.append(CueHit(found[0], words, m.start(1), m.start(1) + len(words), found[1]))
        hits = []
        for i, h in enumerate(raw):
            # A cue swallowed by a longer, different one that starts inside it and runs past
            # its end ("wants to kill" in "wants to kill herself") gives way to it.
            j, swallowed = i + 1, False
            while j < len(raw) and raw[j].start < h.end:
                o = raw[j]
                if o.start > h.start and o.end > h.end and o.rules != h.rules:
                    swallowed = True
                    break
                j += 1
            if not swallowed:
                hits.append(h)
        if not hits:
            return []
        breaks = [m.end() for m in self.negation.breaks.finditer(low)]
        return [self._negate(low, h, breaks) for h in hits]

    def _negate(self, low: str, hit: CueHit, breaks: list[int]) -> CueHit:
        if not any(r in self.negatable for r in hit.rules):
            return hit
        i = bisect.bisect_right(breaks, hit.start) - 1
        clause_start = breaks[i] if i >= 0 else 0
        before = low[clause_start:hit.start]
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



# ---------------------------------------------------------------- the property

PACK = get_pack("ipnb")
NEG = negation_rules()
TOPIC_RULES = {t.id: t.cues for t in PACK.topics}
TOPIC_NEG = [t.id for t in PACK.topics if t.negatable]
RISK_RULES = {c.id: c.cues for c in safety_screen().categories.values()}
ODD_RULES = {"a": ["x'y*", "ab-cd", "ab*", "abc", "a b c*", "-dash", "'quote", "q_r*", "zz z", "é*"],
             "b": ["ab cd ef", "abc*", "x", "cd*", "can't go", "ab"]}
MATCHERS = [(CueMatcher(TOPIC_RULES, NEG, TOPIC_NEG), ReferenceCueMatcher(TOPIC_RULES, NEG, TOPIC_NEG)),
            (CueMatcher(RISK_RULES, NEG), ReferenceCueMatcher(RISK_RULES, NEG)),
            (CueMatcher(ODD_RULES, NEG, ["a"]), ReferenceCueMatcher(ODD_RULES, NEG, ["a"]))]

CUE_WORDS = sorted({w for rules in (TOPIC_RULES, RISK_RULES, ODD_RULES) for cues in rules.values()
                    for c in cues for w in re.split(r"[\s\-]+", c.rstrip("*")) if w})
NEGATORS = ["no", "not", "never", "denies", "ruled out", "can't", "don't", "doesn\u2019t", "wasnt", "not only",
            "not sure", "no doubt", "without", "nor", "cannot", "lack of", "free of", "isn't"]
BREAKS = [".", ";", ":", "!", "?", "\n", "(", ")", "[", "]", "\u2014", " - ", " -\n", "\n-\n", " - - ", "but",
          "however", "rather", "although", "though", ",", ", or", ", and", ","]
RANDOM = ["the", "she", "was", "and", "or", "in", "session", "butter", "ab", "x", "numbers", "naïve", "İstanbul",
          "straße", "ﬁne", "_", "42", "'", "\u2019", "-", "--", "\t", "  ", "\u00a0", "é", "ǅ", "ΣΑΣ"]
SUFFIXES = ["", "", "", "s", "ed", "ing", "'s", "_", "é", "-", "ly"]


@st.composite
def texts(draw):
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["cue", "cue", "cue", "neg", "break", "random", "unicode"]))
        if kind == "cue":
            w = draw(st.sampled_from(CUE_WORDS)) + draw(st.sampled_from(SUFFIXES))
        elif kind == "neg":
            w = draw(st.sampled_from(NEGATORS))
        elif kind == "break":
            w = draw(st.sampled_from(BREAKS))
        elif kind == "random":
            w = draw(st.sampled_from(RANDOM))
        else:
            w = draw(st.text(max_size=4))
        case = draw(st.sampled_from(["lower", "lower", "upper", "title"]))
        w = w.upper() if case == "upper" else w.title() if case == "title" else w
        parts.append(w)
        parts.append(draw(st.sampled_from([" ", " ", " ", "", "-", "  ", "\n", ", ", "'", " - ", "\t"])))
    return "".join(parts)


def _key(hits):
    return [(h.cue, h.words, h.start, h.end, h.rules, h.negated) for h in hits]


@settings(max_examples=200, deadline=None)
@given(texts())
def test_scan_matches_the_reference(text):
    for new, old in MATCHERS:
        assert _key(new.scan(text)) == _key(old.scan(text)), text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=" -\n.,;'abtuno\u2014_é", max_size=30))
def test_break_ends_match_the_expression(text):
    low = normalise(text)
    assert NEG.break_ends(low) == [m.end() for m in NEG.breaks.finditer(low)]


def test_reference_agrees_on_the_bench_texts():
    from bench.core import Answers

    gen = Answers(424242)
    for _ in range(8):
        text = gen.next(4000)
        for new, old in MATCHERS[:2]:
            assert _key(new.scan(text)) == _key(old.scan(text))
