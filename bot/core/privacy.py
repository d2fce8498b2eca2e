"""Identifier scrubbing for journal text (HIPAA Safe Harbor checklist as the guide).

`scrub(text)` normalises the text (NFKC, zero-width and bidi controls removed) and
replaces identifiers with typed, numbered tokens such as ``[NAME-1]`` or
``[PHONE-2]``. The same value keeps its number within one text.

Two passes, both linear in the input:

1. Structured identifiers (emails, phones, dates, ids, URLs, ...) via a set of
   regular expressions whose repetitions are all bounded or guarded by a
   look-behind, so no pattern can backtrack catastrophically; each starts with
   a character class (C-level prefix scan) and runs only in windows around its
   anchor (digits, "@", a domain ending, ...). Named institutions ("Riverside
   Primary", "St Mary's Hospital") become PLACE. Overlaps are resolved
   longest-first.
   On ASCII text without a spelled "dot", the spelled-out email rule is tried only
   where a local part ends at an "@" or a spelled "at".
2. Person names via set look-ups: first/last names from faker's person providers,
   ordinary English words from content/privacy/english_words.txt, the allow-list in
   content/privacy/vocabulary.yaml and every word of content/ipnb/*.yaml. One regex
   split tokenises the text; plain lower-case dictionary words are skipped before
   any per-token rule runs.

Data is loaded once (lazily, under a lock) and shared read-only, so `scrub` is
pure and thread-safe. This module must not import discord.
"""
from __future__ import annotations

import dataclasses
import gc
import importlib
import ipaddress
import re
import threading
from bisect import bisect_left, bisect_right
import unicodedata
from dataclasses import dataclass
from itertools import accumulate, compress, count
from operator import itemgetter, not_
from pathlib import Path
from typing import Callable, Iterable

import yaml

from bot.paths import CONTENT_DIR

PRIVACY_DIR = CONTENT_DIR / "privacy"
IPNB_DIR = CONTENT_DIR / "ipnb"

# Person providers whose first/last names are collected (a diverse client population).
NAME_LOCALES = (
    "en_US", "en_GB", "en_IE", "en_IN", "en_NG", "en_PK", "en_KE", "en_NZ", "es_ES", "es_MX", "es_CO",
    "es_AR", "pt_BR", "pt_PT", "fr_FR", "it_IT", "de_DE", "pl_PL", "ar_AA", "tr_TR", "vi_VN",
    "zh_CN", "ko_KR", "ja_JP", "hi_IN", "fa_IR", "ru_RU", "uk_UA", "nl_NL", "yo_NG", "ig_NG", "tw_GH",
    "sw", "zu_ZA", "he_IL",
)


@dataclass(frozen=True)
class Redaction:
    kind: str
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class ScrubResult:
    text: str
    redactions: tuple[Redaction, ...]
    normalised: str


# ---------------------------------------------------------------- normalisation

_FORMAT_CHARS = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


def normalise(text: str) -> str:
    """NFKC, then drop zero-width/bidi format characters (lone surrogates become U+FFFD)."""
    if not text:
        return ""
    if not text.isascii():
        text = _FORMAT_CHARS.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", text)
        text = unicodedata.normalize("NFKC", text)
        text = _FORMAT_CHARS.sub("", text)
    return text


# ---------------------------------------------------------------- validators

def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _luhn(d: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(d)):
        n = ord(ch) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _nhs_ok(d: str) -> bool:
    if len(d) != 10:
        return False
    total = sum((10 - i) * (ord(d[i]) - 48) for i in range(9))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == ord(d[9]) - 48


def _v_card(s: str) -> bool:
    d = _digits(s)
    return 13 <= len(d) <= 19 and _luhn(d) and len(set(d)) > 1


def _v_nhs(s: str) -> bool:
    return _nhs_ok(_digits(s))


def _v_phone(s: str) -> bool:
    n = len(_digits(s))
    return 10 <= n <= 15 or (s.startswith("+") and 8 <= n <= 15)


def _v_numdate(s: str) -> bool:
    parts = re.split(r"[/.-]", s)
    a, b = int(parts[0]), int(parts[1])
    return (a <= 12 or b <= 12) and a > 0 and b > 0


def _v_ip6(s: str) -> bool:
    try:
        ipaddress.IPv6Address(s)
        return True
    except ValueError:
        return False


_UNIT = re.compile(r"\d+(?:mg|mcg|ml|g|kg|km|mi|s|st|nd|rd|th|am|pm|hrs?|mins?|x|k|m|bn|lbs?|cm|mm|hz|khz|gb|mb|kb|p|px)", re.I)


def _v_alnum_id(s: str) -> bool:
    d = sum(c.isdigit() for c in s)
    letters = sum(c.isalpha() for c in s)
    if d < 4 or letters < 1:
        return False
    return not _UNIT.fullmatch(s.replace("-", ""))


def _v_handle(s: str) -> bool:
    s = s.lstrip("@")
    return any(c.isdigit() or c in "_." for c in s) and not s.replace(".", "").isdigit()


def _v_keyword_id(s: str) -> bool:
    if "/" in s:  # "2023/AB/00417", "47/12345/23"; not a fraction ("case 2/3 of the way", "patient 1/2 dose")
        return len(s) >= 5 and sum(c.isdigit() for c in s) >= 3
    return any(c.isdigit() for c in s) and len(s) >= 3


# ---------------------------------------------------------------- data loading

def _yaml(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _strings(node) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str):
                yield k
            yield from _strings(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _strings(v)


_TOKEN = re.compile(r"[^\W\d_]+(?:['’](?!(?i:s|t|re|ve|ll|d|m)\b)[^\W\d_]+)*")
_SPLIT_NAME = re.compile(r"[\s\-]+")


class _Data:
    """Word sets and compiled patterns, built once."""

    def __init__(self) -> None:
        vocab = _yaml(PRIVACY_DIR / "vocabulary.yaml")
        lower = lambda xs: {str(x).lower() for x in xs or ()}  # noqa: E731

        self.english: frozenset[str] = frozenset(
            line.strip() for line in (PRIVACY_DIR / "english_words.txt").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")
        )
        from faker.providers.lorem.en_US import Provider as Lorem  # noqa: PLC0415

        self.very_common = frozenset(w.lower() for w in Lorem.word_list)

        first: set[str] = set()
        last: set[str] = set()
        for loc in NAME_LOCALES:
            try:
                prov = importlib.import_module(f"faker.providers.person.{loc}").Provider
            except (ImportError, AttributeError):
                continue
            for attr, target in (("first_names", first), ("first_names_male", first), ("first_names_female", first),
                                 ("first_names_nonbinary", first), ("last_names", last)):
                for name in getattr(prov, attr, ()) or ():
                    for part in _SPLIT_NAME.split(str(name)):
                        part = part.strip(".").lower()
                        if len(part) > 1:
                            target.add(part)
        self.first = frozenset(first)
        self.last = frozenset(last)
        self.names = self.first | self.last

        # "commonish": dictionary words that also have a regular inflection or are
        # in faker's very-common-word list; such first names need context in lower case.
        e = self.english

        def commonish(w: str) -> bool:
            if w in self.very_common:
                return True
            if w not in e:
                return False
            forms = (w + "s", w + "es", w + "ed", w + "d", w + "ing", w[:-1] + "ies", w[:-1] + "ied", w[:-1] + "ing")
            return any(f in e for f in forms)

        self.commonish = frozenset(w for w in self.names if commonish(w))

        # allow-list
        self.vocab_words = lower(vocab.get("allow"))
        self.months_namelike = lower(vocab.get("name_like_months"))
        self.titles = lower(vocab.get("titles"))
        self.naming_cues = lower(vocab.get("naming_cues"))
        self.relation_cues = lower(vocab.get("relation_cues"))
        self.person_prev = lower(vocab.get("person_prev"))
        self.person_next = lower(vocab.get("person_next"))
        self.strong_cues = lower(vocab.get("strong_cues"))
        self.inst_generic = lower(vocab.get("institution_generic"))
        self.place_stop = lower(vocab.get("place_stop")) | self.titles
        self.inst_strict = {str(x) for x in vocab.get("institutions_strict") or ()}
        insts = sorted({str(x) for x in vocab.get("institutions") or ()}, key=len, reverse=True)
        self.inst_rx = re.compile("(?:" + "|".join(map(re.escape, insts)) + r")s?\b") if insts else None
        self.not_initials = {str(x).replace(" ", "").upper() for x in vocab.get("not_initials") or ()}
        phrases: list[tuple[str, ...]] = []
        for p in vocab.get("phrases") or ():
            toks = tuple(t.lower() for t in _TOKEN.findall(str(p)))
            if toks:
                phrases.append(toks)
        for w in list(self.vocab_words):
            toks = tuple(t.lower() for t in _TOKEN.findall(w))
            if len(toks) > 1:
                phrases.append(toks)

        # harvest the knowledge content: every word; capitalised runs become phrases
        source_words: set[str] = set()
        for path in sorted(IPNB_DIR.glob("*.yaml")):
            try:
                data = _yaml(path)
            except (OSError, yaml.YAMLError):
                continue
            for s in _strings(data):
                s = normalise(s)
                toks = list(_TOKEN.finditer(s))
                for t in toks:
                    source_words.add(t.group().lower())
                run: list[str] = []
                prev_end = -1
                for t in toks + [None]:
                    if t is not None and t.group()[0].isupper() and (not run or re.fullmatch(r"[\s.]*", s[prev_end:t.start()])):
                        run.append(t.group().lower())
                        prev_end = t.end()
                        continue
                    if len(run) > 1:
                        phrases.append(tuple(run))
                    run = []
                    if t is not None and t.group()[0].isupper():
                        run = [t.group().lower()]
                        prev_end = t.end()
        # first names in the source stay protected only inside the source's phrases
        self.source_words = frozenset(w for w in source_words if w not in self.first)
        self.phrases: dict[str, list[tuple[str, ...]]] = {}
        for ph in sorted(set(phrases), key=len, reverse=True):
            self.phrases.setdefault(ph[0], []).append(ph)

        self.safe_lower = frozenset(
            w for w in (self.english | self.source_words | self.vocab_words) if w not in self.first and w not in self.last
        )
        # lower-case tokens the first name pass can skip outright: safe words, and dictionary words that
        # are not first names, titles, name-like months or the start of a protected phrase (for those the
        # pass has no rule that could fire; surnames are still found by chain extension)
        harmless = self.vocab_words | self.source_words  # never names, blocked or not
        special = self.first | self.titles | self.months_namelike | {
            k for k, phs in self.phrases.items() if any(len(t) < 2 or t not in harmless for ph in phs for t in ph[1:])
        }
        self.skip_tokens = self.safe_lower | frozenset(
            w for w in (self.english | self.source_words | self.vocab_words) if w.islower() and w not in special
        )

        tlds: set[str] = {str(t).lower() for t in vocab.get("extra_tlds") or ()}
        try:
            import faker.providers.internet as inet  # noqa: PLC0415
            import pkgutil  # noqa: PLC0415

            for m in pkgutil.iter_modules(inet.__path__):
                prov = importlib.import_module(f"faker.providers.internet.{m.name}").Provider
                for t in getattr(prov, "tlds", ()) or ():
                    t = str(t).split(".")[-1].lower()
                    if t.isascii() and t.isalpha():
                        tlds.add(t)
        except ImportError:
            pass
        tlds -= {"py", "md", "no", "it", "at", "id", "is", "in", "be", "so", "to", "me", "us", "do", "go", "am"}
        tld_list = sorted(tlds, key=len, reverse=True)
        self.rules = _build_rules(tld_list)
        self.anchors = _build_anchors(tld_list)
        # the same patterns with re.ASCII, used on ASCII text (see _ascii_ok: identical matches there)
        self.rules_ascii = [_ascii(r.regex) for r in self.rules]
        self.anchors_ascii = {k: (_ascii(rx), b, f) for k, (rx, b, f) in self.anchors.items()}
        # "dottld" when the text has no "dot" in any case: only the "." branch of its hit pattern can match
        rx, b, f = self.anchors["dottld"]
        dot_only = _cluster(rf"\.(?:{'|'.join(map(re.escape, tld_list))})\b", 720)
        self.dottld_dot_only = ((dot_only, b, f), (_ascii(dot_only), b, f))
        self.combos = (
            _Combo(self.rules, "digits", r"[\d(+]", lambda first, rest: first in (r"\d", r"[\d(+]", "[19]", r"\+")),
            # keyword-led rules: all start at a word start with an ASCII letter
            _Combo(self.rules, "near", r"[A-Za-z](?<!\w.)", _word_start_rule),
        )
        self.combo_of = {i: c for c in self.combos for i in c.rules}


_DATA: _Data | None = None
_LOCK = threading.Lock()


def _data() -> _Data:
    global _DATA
    if _DATA is None:
        with _LOCK:
            if _DATA is None:
                _DATA = _Data()
    return _DATA


# ---------------------------------------------------------------- structured rules
#
# Speed: every rule is written so that its FIRST element is a single consuming
# character class (the word-boundary / "not preceded by" guard moves to a
# look-behind right after that character). Python's `re` then skips, in C, every
# position whose character cannot start a match, instead of running the whole
# pattern there; on prose this makes most rules nearly free. Rules that need a
# digit run only in windows around clusters of digits; rules that need an "@",
# a domain ending or a street word run only in windows around those anchors.
# Window anchors are found by one regex each (clusters, not single hits), so
# hostile input with 50,000 anchors still costs one C-level scan.


@dataclass(frozen=True)
class _Rule:
    kind: str
    regex: re.Pattern
    priority: int  # lower wins when two candidates cover the same span length
    group: str | int = 0
    check: Callable[[str], bool] | None = None
    gate: tuple[str, ...] = ()  # skip the rule unless one of these occurs in the lower-cased text
    anchor: str | None = None  # run only in the windows of this anchor (see _Data.anchors)
    # cheap necessary conditions, checked per window: every entry must have one of its
    # characters in the window ("A": any letter). Skips most rules on hostile digit runs.
    need: tuple[str, ...] = ()


def _kw(alts: Iterable[str], ci: bool = False, boundary: bool = True) -> str:
    """`\\b(?:kw1|kw2|...)` rewritten to start with a consuming character class.

    Each alternative must start with a plain letter; the rest may be any regex.
    """
    alts = list(alts)
    firsts = {a[0] for a in alts}
    if ci:
        firsts |= {c.upper() for c in firsts} | {c.lower() for c in firsts}
    cls = "[" + "".join(sorted(firsts)) + "]"
    guard = r"(?<!\w.)" if boundary else ""
    body = "|".join(f"(?<={a[0]}){a[1:]}" for a in alts)
    return f"{cls}{guard}" + (f"(?i:{body})" if ci else f"(?:{body})")


_MON_ALTS = ("Jan(?:uary)?", "Feb(?:ruary)?", "Mar(?:ch)?", "Apr(?:il)?", "May", "June?", "July?", "Aug(?:ust)?",
             "Sep(?:t(?:ember)?)?", "Oct(?:ober)?", "Nov(?:ember)?", "Dec(?:ember)?", "january", "february", "april",
             "june", "july", "august", "september", "october", "november", "december")
_MON = "(?:" + "|".join(_MON_ALTS) + ")"
_MON_START = _kw(_MON_ALTS)  # `\b{_MON}` starting with a character class
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
# _DAY after its first digit has been consumed (by `\d(?<!\w\d)`)
_DAY_REST = r"(?:(?<=[12])\d|(?<=3)[01]|(?<=0)[1-9]|(?<=[1-9]))(?:st|nd|rd|th)?"
_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND"
           "|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY")
# the street-type word ending an address: an abbreviation takes its full stop ("Hill Rd."), a whole
# word does not (the full stop after "27 Victoria Road." ends the sentence and stays)
_SUFFIX_END = (r"(?:(?:St|Rd|Ave|Ln|Dr|Blvd|Ct|Pl|Ter|Cres|Sq|Hwy|Pkwy|Cir)\b\.?"
               r"|(?:Street|Road|Avenue|Lane|Drive|Boulevard|Court|Place|Terrace|Way|Close|Crescent|Square|Highway"
               r"|Parkway|Circle|Gardens|Grove|Row|Mews|Hill|Walk|Park|Trail|Green)\b)")
_STREET_WORDS = ("Street|Road|Avenue|Lane|Drive|Boulevard|Terrace|Crescent|Grove|Gardens|Mews|Blvd|Ave|Rd|Parkway|Highway"
                 "|Square")
_STREET_WORD_LIST = tuple(_STREET_WORDS.split("|"))
# octet of an IPv4 address after its first digit has been consumed
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_OCTET_REST = r"(?:(?<=2)5[0-5]|(?<=2)[0-4]\d|(?<=1)\d\d|(?<=[1-9])\d|)"
_NOT_UNITS = r"(?!\s*(?:%|percent|minutes?|mins?|hours?|days?|weeks?|months?|times?|pounds?|lbs?|kg|points?|dollars?"


def _build_rules(tlds: list[str]) -> list[_Rule]:
    tld = "(?:" + "|".join(map(re.escape, tlds)) + ")"
    dot = r"(?:\.|\s*[\[\(\{<]\s*(?i:dot)\s*[\]\)\}>]\s*|\s+(?i:dot)\s+)"
    at = r"(?:\s*@\s*|\s*[\[\(\{<]\s*(?i:at)\s*[\]\)\}>]\s*|\s+(?i:at)\s+)"
    c = re.compile
    D = "digits"
    N = "near"  # keyword-led rules: the keyword sits just before the digits
    r: list[_Rule] = [
        # rules without digits
        _Rule("MENTION", c(r"<(?:@[!&]?|#)\d{1,21}>"), 0, gate=("<",)),
        _Rule("EMAIL", c(r"[\w.%+-](?<![\w.%+-][\w.%+-])[\w.%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b"),
              1, anchor="at"),
        _Rule("EMAIL", c(rf"[\w%+-](?<![\w.%+-][\w%+-])[\w%+-]{{0,63}}(?:{dot}[\w%+-]{{1,64}}){{0,4}}{at}[A-Za-z0-9-]{{1,63}}"
                         rf"(?:{dot}[A-Za-z0-9-]{{1,63}}){{0,3}}{dot}{tld}\b"), 1, anchor="dottld"),
        _Rule("URL", c(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]{}]{1,2048}", re.I), 2, gate=("://", "www."), anchor="scheme"),
        _Rule("URL", c(rf"[a-z0-9](?<![\w.@/-][a-z0-9])(?:[a-z0-9-]{{0,61}}[a-z0-9])?\.(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.){{0,5}}"
                       rf"{tld}\b(?:/[^\s<>\"'()]{{0,2048}})?"), 2, anchor="domain"),
        _Rule("HANDLE", c(r"@(?<![\w@.]@)[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,30}[A-Za-z0-9_])?"), 3, anchor="at"),
        _Rule("HANDLE", c(r"[\w.](?<![\w#][\w.])[\w.]{1,31}#\d{4}(?!\w)"), 3, gate=("#",), anchor=D),
        # a username named by its platform ("her Snapchat is emzzz_04"): only values with a digit, "_" or "."
        _Rule("HANDLE", c(_kw(("snapchat", "snap", "instagram", "insta", "tiktok", "twitter", "discord", "facebook",
                               "whatsapp", "telegram", "reddit", "twitch", "xbox", "psn", "gamertag", "username",
                               r"user\s+name", "handle"), ci=True)
                          + r"(?i:\b(?:\s+(?:name|handle|id|username|account))?\s*(?:is|was|=|:)?\s*)"
                            r"(?P<v>@?[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,28}[A-Za-z0-9_]))(?!\w)"), 3, group="v",
              check=_v_handle, anchor=N),
        _Rule("IP", c(rf"\d(?<![\w.]\d){_OCTET_REST}\.(?:{_OCTET}\.){{2}}{_OCTET}(?!\w|\.\d)"), 2, anchor=D),
        _Rule("IP", c(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:])"), 2,
              check=_v_ip6, anchor="colons"),
        # dates
        # "12 March." at a sentence end keeps its full stop; "3 Mar. 1987" takes the abbreviation's
        _Rule("DATE", c(rf"\d(?<!\w\d){_DAY_REST}(?:\s+of)?\s+{_MON}\b(?:\.?,?\s+(?:\d{{4}}|'?\d{{2}})\b)?"), 4, anchor=D),
        _Rule("DATE", c(rf"{_MON_START}\b\.?\s+{_DAY}\b(?:,?\s+\d{{4}}\b)?"), 4, anchor=N),
        _Rule("DATE", c(rf"{_MON_START}\b\.?,?\s+(?:of\s+)?(?:\d{{4}}|'\d{{2}})\b"), 4, anchor=N),
        _Rule("DATE", c(r"\d(?<![\w./-]\d)\d{3}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?![\w/-]|\.\d)"), 4, anchor=D),
        _Rule("DATE", c(r"\d(?<![\w./-]\d)(?:(?<=0)[1-9]|(?<=[12])\d|(?<=3)[01]|(?<=[1-9]))([/.-])(?:0?[1-9]|[12]\d|3[01])\1"
                        r"(?:\d{4}|\d{2})(?![\w/-]|\.\d)"), 4, check=_v_numdate, anchor=D),
        _Rule("DATE", c(_kw(("on", "since", "from", "until", "till", "by", "dated?", "dob", "born"), ci=True)
                        + r"\b[\s:]+(?P<v>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\w/])"), 4, group="v", anchor=N),
        _Rule("DATE", c(_kw(("on", "born on", "since", "from", "until", "by"), ci=True)
                        + r"(?i:\s+the\s+)(?P<v>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))\b"
                          r"(?!\s+(?:session|time|visit|week|day|appointment|floor|grade)\b)"), 4, group="v", anchor=N),
        # ages over 89
        _Rule("AGE", c(r"[19](?<!\w[19])(?:(?<=9)\d|(?<=1)[01]\d)(?i:[\s-]*years?[\s-]*old\b|[\s-]*y/?o\b|[\s-]*yrs?[\s-]*old\b)"),
              3, anchor=D),
        _Rule("AGE", c(r"[Nn](?<!\w[Nn])(?i:inety(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?[\s-]+years?[\s-]+old\b)"),
              3, gate=("ninety",), anchor="ninety"),
        _Rule("AGE", c(_kw(("aged?", "age of", "turned", "turning"), ci=True) + r"(?i:\s+)(?P<v>9\d|1[01]\d)\b"
                       + _NOT_UNITS + r")\b)"), 3, group="v", anchor=N),
        _Rule("AGE", c(_kw(("she", "he", "they", "who", "client", "patient", "mother", "father", "mom", "mum", "dad",
                            "grandmother", "grandfather", "grandma", "grandpa", "i"), ci=True)
                       + r"(?i:'s|’s|\s+is|\s+was|\s+turns|\s+will\s+be|\s+is\s+now|\s+was\s+now|\s+'?m|\s+am)(?i:\s+)"
                         r"(?P<v>9\d|1[01]\d)\b" + _NOT_UNITS + r"|out\b|of\b|on\b)\b)"), 3, group="v", anchor=N),
        # addresses and postcodes
        _Rule("ADDRESS", c(rf"\d(?<!\w\d)\d{{0,4}}[A-Za-z]?(?:-\d{{1,5}})?,?\s+(?:[A-Z][\w'’-]{{0,30}}\.?\s+){{1,3}}{_SUFFIX_END}"
                           r"(?:,?\s+(?:Apt|Apartment|Flat|Unit|Suite|Ste|#)\.?\s*#?\s*\w{1,6})?"
                           r"(?:,\s*[A-Z][a-z]{1,30}(?:\s+[A-Z][a-z]{1,30}){0,2}(?=[\s,.;:)!?]|$))?"
                           r"(?:,?\s+\d{5}(?:-\d{4})?(?!\w))?"), 5, anchor=D),
        _Rule("ADDRESS", c(_kw(("Apt", "Apartment", "Flat", "Unit", "Suite", "Ste", "Room", "Rm")) + r"\.?\s*#?\s*\d{1,5}[A-Za-z]?\b"),
              5, anchor=N),
        _Rule("ADDRESS", c(r"[Pp](?<!\w[Pp])(?i:\.?\s?O\.?\s+Box\s+\d{1,8}\b)"), 5, anchor=N),
        _Rule("ADDRESS", c(rf"[A-Z](?<!\w[A-Z])[a-z']{{1,30}}\s+(?:[A-Z][a-z']{{1,30}}\s+)?(?:{_STREET_WORDS})\b"), 6, anchor="street"),
        _Rule("POSTCODE", c(r"[A-Z](?<!\w[A-Z])(?:(?<=[A-Z])[A-Z]?\d[A-Z\d]?|(?<=G)IR) ?\d[A-Z]{2}\b"), 5, anchor=N),
        _Rule("POSTCODE", c(r"[A-Zzp](?<!\w.)(?:(?<=[A-Z])[A-Z](?<=\b(?:" + _STATES + r"))"
                            r"|(?i:(?<=z)ip(?:\s*code)?|(?<=p)ost\s*code|(?<=p)ostal\s+code))"
                            r"[\s,:#]*(?P<v>\d{5}(?:-\d{4})?)(?![\w-])"), 5, group="v", anchor=N),
        _Rule("POSTCODE", c(r"\d(?<![\w-]\d)\d{4}-\d{4}(?![\w-])"), 5, anchor=D),
        # identifying numbers
        # SSN; a dash before it is punctuation ("ref -123-45-6789"), unless it joins a longer number
        _Rule("ID", c(r"\d(?<!\w\d)(?<!\d-\d)\d{2}([- ])\d{2}\1\d{4}(?![\w-])"), 3, anchor=D),
        _Rule("ID", c(r"\d(?<![\w-]\d)\d{2} ?\d{3} ?\d{4}(?![\w-])"), 3, check=_v_nhs, anchor=D),
        _Rule("ID", c(r"[A-Z](?<!\w[A-Z])[A-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"), 3, anchor=N),
        _Rule("ID", c(r"\d(?<![\w-]\d)(?:[ -]?\d){12,18}(?![\w-])"), 3, check=_v_card, anchor=D),
        _Rule("ID", c(_kw(("mrn", r"medical\s+record", "record", "patient", "chart", "case", "account", "acct", "policy", "member",
                           "insurance", "hospital", "nhs", "ni", r"national\s+insurance", "licen[cs]e", "passport", "plate",
                           "registration", "reg", "vin", "serial", "device", "ssn", r"social\s+security", r"health\s+plan",
                           "beneficiary", "certificate", "client", "badge", "employee", "staff", "student", "id",
                           "reference", "ref", "crime", "incident", "file"), ci=True)
                      + r"(?i:\b\.?(?:\s*(?:number|num|no\.?|#|id|code))?\s*(?:is|was|=|:|#|no\.?)?\s*)"
                        r"(?P<v>(?i:[A-Z0-9][A-Z0-9-]{1,24}(?:/[A-Z0-9-]{1,12}){1,4}|[A-Z0-9][A-Z0-9-]{2,24}))(?![\w/-])"), 3, group="v",
              check=_v_keyword_id, anchor=N),
        _Rule("ID", c(r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}\s?[A-Z]{3}\b"), 6, anchor=N),  # UK vehicle registration
        _Rule("PHONE", c(r"[\d(+](?<![\w+].)(?:(?<=\+)1[\s.-]?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)|(?<=1)[\s.-]?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)"
                         r"|(?<=\()\d{3}\)\s?|(?<=\d)\d{2}[\s.-]?)\d{3}[\s.-]?\d{4}(?![\w])"), 4, check=_v_phone, anchor=D),
        _Rule("PHONE", c(r"[\d(+](?<![\w+].)(?:(?<=\+)44\s?(?:\(0\)\s?)?|(?<=0)044\s?(?:\(0\)\s?)?|(?<=\()0|(?<=0))"
                         r"\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)"), 4, check=_v_phone, anchor=D),
        _Rule("PHONE", c(r"\+(?<![\w+]\+)\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,5}(?!\w)"), 4, check=_v_phone, anchor=D),
        _Rule("PHONE", c(r"\d(?<![\w.-]\d)\d{2}[-.]\d{4}(?![\w-]|\.\d)"), 7, anchor=D),
        _Rule("ID", c(r"\d(?<![\w-]\d)\d{5,}(?![\w-])"), 8, anchor=D),
        _Rule("ID", c(r"[A-Za-z0-9](?<!\w.)(?:(?<=\d)(?=(?:[A-Za-z-]*\d){3})|(?<=[A-Za-z])(?=(?:[A-Za-z-]*\d){4}))"  # >= 4 digits
                      r"(?:(?<=[A-Za-z])[A-Za-z]{0,11}\d|(?<=\d)\d{0,11}[A-Za-z])[A-Za-z0-9]*(?:-[A-Za-z0-9]+){0,4}\b"),
              9, check=_v_alnum_id, anchor=D),
        # initials: "J.S.", "J. S.", "j.k." (abbreviations listed under not_initials are skipped)
        _Rule("NAME", c(r"[A-Za-z](?<!\w.)(?:(?<=[A-Z])\.\s?[A-Z]\.(?:\s?[A-Z]\.)?|(?<=[a-z])\.[a-z]\.(?:[a-z]\.)?)(?!\w)"),
              7, anchor="initials"),
    ]
    # strict: a rule added without its entry in _NEEDS would shift every later rule's needs
    return [dataclasses.replace(rule, need=need) if need else rule for rule, need in zip(r, _NEEDS, strict=True)]


# a special need: an ASCII letter right next to a digit ("x1", "1x"); the alphanumeric ID rule
# consumes such a pair whichever way it matches
_ADJ = "letter-digit"
_ADJ_RX = re.compile(r"[A-Za-z]\d|\d[A-Za-z]")
# ASCII text: digits -> "1", letters -> "a", the rest -> "0"; the pair is then a bytes.find
_CLASS_MASK = bytes(49 if 48 <= c <= 57 else 97 if 65 <= c <= 90 or 97 <= c <= 122 else 48 for c in range(256))

# per rule above, in order, one entry per rule (checked at load; see _Rule.need)
_NEEDS: tuple[tuple[str, ...], ...] = (
    (), (), (), (), (), (),                          # MENTION, EMAIL x2, URL x2, HANDLE @
    ("#",), ("A",), (".",), (),                      # HANDLE #, HANDLE named by its platform, IPv4, IPv6
    ("A",), ("A",), ("A",), ("-/.",), ("/.-",),      # DATE: day month, month day, month year, ISO, numeric
    ("A", "/"), ("A",),                              # DATE: keyword m/d, keyword "the 14th"
    ("A",), (), ("A",), ("A",),                      # AGE
    ("A",), ("A",), ("A",), (),                      # ADDRESS
    ("A",), ("A",), ("-",),                          # POSTCODE
    ("- ",), (), ("A",), (), ("A",), ("A",),         # ID: SSN, NHS, NI, card, keyword, vehicle
    (), ("0+",), ("+",), ("-.",),                    # PHONE
    (), ("A", _ADJ), (),                             # ID digits, ID alphanumeric, NAME initials
)


def _cluster(pattern: str, gap: int) -> re.Pattern:
    """One match = a run of `pattern` hits less than `gap` characters apart (their windows merge
    anyway), so hostile text with thousands of hits yields a handful of matches, not thousands."""
    return re.compile(rf"(?:{pattern})(?:(?s:.){{0,{gap}}}?(?:{pattern}))*")


def _build_anchors(tlds: list[str]) -> dict[str, tuple[re.Pattern, int, int]]:
    """name -> (cluster regex, look-back, look-ahead)."""
    tld = "(?:" + "|".join(map(re.escape, tlds)) + ")"
    c = re.compile
    return {
        "digits": (c(r"\d(?:\D{0,207}\d)*"), _BACK, _FWD),
        "near": (c(r"\d(?:\D{0,73}\d)*"), _BACK, 26),
        "at": (c(r"@(?:[^@]{0,600}@)*"), 80, 600),
        # a domain ending, "." or a spelled "dot" then a top-level domain: ".com", " dot com", "[dot] uk"
        "dottld": (_cluster(rf"[.Dd](?:(?<=\.)|(?<=[Dd])[Oo][Tt]\s*[\]\)\}}>]?\s*){tld}\b", 720), 720, 2),
        "domain": (_cluster(rf"\.{tld}\b[^\s<>\"'()]{{0,2048}}", 400), 400, 2),
        "scheme": (_cluster(r"[:Ww](?:(?<=:)//|(?<=[Ww])(?i:ww)\.)", 100), 8, 2100),
        "colons": (c(r":[0-9A-Fa-f]{0,4}:(?:[0-9A-Fa-f]{0,4}:)*"), 40, 40),
        "ninety": (_cluster(r"[Nn][Ii][Nn][Ee][Tt][Yy]", 80), 2, 80),
        "street": (_cluster(rf"(?:{_STREET_WORDS})\b", 70), 70, 1),
        "initials": (_cluster(r"\.(?:\s?[A-Za-z]\.)+", 4), 2, 2),
    }


def _windows(text: str, anchor: tuple[re.Pattern, int, int]) -> list[tuple[int, int]]:
    rx, back, fwd = anchor
    n = len(text)
    out: list[tuple[int, int]] = []
    for m in rx.finditer(text):
        lo, hi = max(0, m.start() - back), min(n, m.end() + fwd)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _ascii(rx: re.Pattern) -> re.Pattern:
    return re.compile(rx.pattern, (rx.flags & ~re.UNICODE) | re.ASCII)


# `\s` also matches these four in Unicode mode, not with re.ASCII; every other ASCII character is
# classified the same (`\w`, `\d`, `\s`, `\b`, case folding), so on ASCII text without them the
# re.ASCII twins of the patterns match exactly the same spans, faster.
_INFO_SEPARATORS = ("\x1c", "\x1d", "\x1e", "\x1f")


def _ascii_ok(text: str) -> bool:
    return text.isascii() and not any(c in text for c in _INFO_SEPARATORS)


# digits -> "1", everything else -> "0" (ASCII text only): the digit-cluster anchors then become
# literal-only patterns, which `re` scans much faster than the `\d` / `\D` classes
_DIGIT_MASK = bytes(49 if 48 <= c <= 57 else 48 for c in range(256))
_MASK_CLUSTERS = {  # anchor -> the digit-cluster regex of _build_anchors, on the mask
    "digits": re.compile(rb"1(?:0{0,207}1)*"),
    "near": re.compile(rb"1(?:0{0,73}1)*"),
}


def _merge_windows(spans: Iterable[tuple[int, int]], n: int, back: int, fwd: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        lo, hi = max(0, s - back), min(n, e + fwd)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _split_first(pattern: str) -> tuple[str, str]:
    """A rule pattern -> (its first consuming character class, the rest)."""
    if pattern.startswith("\\"):
        return pattern[:2], pattern[2:]
    assert pattern.startswith("[")
    i = 1
    while pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return pattern[:i + 1], pattern[i + 1:]


def _rename_groups(pattern: str, prefix: str) -> str:
    """Give every capturing group of `pattern` a name starting with `prefix` (back-references too),
    so several rules can share one expression."""
    out: list[str] = []
    i, n, k, in_class = 0, len(pattern), 0, False
    number: dict[str, str] = {}
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1]
            if nxt.isdigit() and nxt != "0" and not in_class:
                out.append(f"(?P={number[nxt]})")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if pattern[i] == "^":
                out.append("^")
                i += 1
            if pattern[i] == "]":
                out.append("]")
                i += 1
            continue
        if c == "(":
            if pattern.startswith("(?P<", i):
                j = pattern.index(">", i)
                k += 1
                name = f"{prefix}{pattern[i + 4:j]}"
                number[str(k)] = name
                out.append(f"(?P<{name}>")
                i = j + 1
                continue
            if pattern.startswith("(?P=", i):
                j = pattern.index(")", i)
                out.append(f"(?P={prefix}{pattern[i + 4:j]})")
                i = j + 1
                continue
            if not pattern.startswith("(?", i):
                k += 1
                name = f"{prefix}g{k}"
                number[str(k)] = name
                out.append(f"(?P<{name}>")
                i += 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _letters_only(cls: str) -> bool:
    rx = re.compile(cls)
    return all(rx.fullmatch(chr(c)) is None or chr(c).isascii() and chr(c).isalpha() for c in range(0x3000))


def _word_start_rule(first: str, rest: str) -> bool:
    """A rule starting with ASCII letters and the guard "not after a word character"."""
    return _letters_only(first) and (rest.startswith(r"(?<!\w.)") or rest.startswith(rf"(?<!\w{first})"))


class _Combo:
    """Several rules of one anchor (e.g. those whose first character is a digit, "(" or "+") as ONE expression.

    At every start position it tries each rule (its first class as a look-behind after the one
    consumed character, the rest inside a look-ahead whose group records where that rule's match
    ends), and matches only where at least one rule does. `_structured` then replays `finditer`
    per rule (a rule's next match starts at or after the end of its previous one), so the
    candidates are exactly those of running each rule on its own, with one scan instead of fifteen.
    """

    def __init__(self, rules: list[_Rule], anchor: str, head: str, takes: Callable[[str, str], bool]) -> None:
        """`head`: one character class (then optional guards) every member's match starts with;
        `takes(first, rest)`: whether a rule of this anchor can join (its match implies `head`)."""
        members: list[tuple[int, str, str]] = []
        for i, rule in enumerate(rules):
            if rule.anchor != anchor or rule.regex.flags & ~re.UNICODE:
                continue
            first, rest = _split_first(rule.regex.pattern)
            if takes(first, rest):
                members.append((i, first, rest))
        parts = [head]
        for i, first, rest in members:
            parts.append(f"(?:(?<={first})(?=(?P<w{i}>{_rename_groups(rest, f'r{i}_')}))|)")
        tail = "(?!)"
        for i, _f, _r in reversed(members):
            tail = f"(?(w{i})|{tail})"
        pattern = "".join(parts) + tail
        self.regex = re.compile(pattern)
        self.regex_ascii = re.compile(pattern, re.ASCII)
        self.rules = frozenset(i for i, _f, _r in members)
        gi = self.regex.groupindex
        # (rule index, group of the whole match's rest, group of the value or 0)
        self.members = tuple(
            (i, gi[f"w{i}"], gi[f"r{i}_{rules[i].group}"] if isinstance(rules[i].group, str) else 0)
            for i, _f, _r in members
        )
        assert all(rules[i].group == 0 or gv for i, _w, gv in self.members)


# ---------------------------------------------------------------- keys for numbering

_SPELLED_AT_DOT = re.compile(r"\b(?:dot|at)\b")
_NON_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


def _value_key(kind: str, s: str) -> str:
    low = s.lower()
    if kind == "EMAIL":
        low = _SPELLED_AT_DOT.sub("", low)
        return _NON_WORD.sub("", low)
    if kind == "PHONE":
        d = _digits(s)
        if d.startswith("44"):
            d = "0" + d[2:]
        elif d.startswith("0044"):
            d = "0" + d[4:]
        elif len(d) == 11 and d.startswith("1"):
            d = d[1:]
        return d
    if kind in ("ID", "POSTCODE", "IP", "MENTION", "HANDLE", "AGE"):
        return _NON_WORD.sub("", low)
    return _SPACES.sub(" ", low).strip(" .,")


# ---------------------------------------------------------------- the scrubber

_NAME_PARTICLES = frozenset({"de", "la", "del", "van", "von", "da", "di", "du", "le", "bin", "al", "dos", "das", "ter", "ten", "st", "mc"})
_INITIAL_PREV = frozenset(".!?:;\n•*#>|\"“”(")


_BACK, _FWD = 48, 160


_ALPHA = re.compile(r"[^\W\d_]")


def _has(text: str, lo: int, hi: int, chars: str, cache: dict[tuple[int, int, str], bool]) -> bool:
    key = (lo, hi, chars)
    got = cache.get(key)
    if got is None:
        if chars == "A":
            got = _ALPHA.search(text, lo, hi) is not None
        elif chars == _ADJ:
            if text.isascii():
                mask = cache.get(_ADJ)  # type: ignore[call-overload]
                if mask is None:
                    mask = cache[_ADJ] = text.encode("ascii").translate(_CLASS_MASK)  # type: ignore[index]
                got = mask.find(b"a1", lo, hi) != -1 or mask.find(b"1a", lo, hi) != -1
            else:
                got = _ADJ_RX.search(text, lo, hi) is not None
        else:
            got = any(text.find(ch, lo, hi) != -1 for ch in chars)
        cache[key] = got
    return got


_PLACE_WORD = re.compile(r"(?:St\.|[A-Z][\w'’-]*)")
_PLACE_BEFORE = re.compile(r"(?:(?:St\.|[A-Z][\w'’-]*)[ \t]+){1,5}")
_PLACE_OF = re.compile(r"\s+of\s+(?:the\s+)?((?:[A-Z][\w'’-]*)(?:\s+[A-Z][\w'’-]*){0,2})\b")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n•*#>|\"“”(])[\s\"“‘'(*_]*$")


def _places(text: str, d: _Data) -> list[tuple[int, int, int, str, str]]:
    """Named institutions ("Riverside Primary", "St Mary's Hospital", "University of Leeds") as PLACE."""
    rx = d.inst_rx
    if rx is None:
        return []
    out: list[tuple[int, int, int, str, str]] = []
    english, names, generic, stop, vocab = d.english, d.names, d.inst_generic, d.place_stop, d.vocab_words
    for m in rx.finditer(text):
        s, e = m.span()
        if s and (text[s - 1].isalnum() or text[s - 1] in "_'’-"):
            continue
        inst = m.group()
        strict = inst.rstrip("s") in d.inst_strict or inst in d.inst_strict
        # capitalised words right before the institution word, nearest first
        lo = max(0, s - 120)
        before = None
        for b in _PLACE_BEFORE.finditer(text, lo, s):
            if b.end() == s:
                before = b
        words: list[tuple[int, str]] = []
        if before is not None:
            words = [(w.start(), w.group()) for w in _PLACE_WORD.finditer(text, before.start(), s)]
        start = s
        proper = False
        for ws, w in reversed(words):
            lw = w.lower().rstrip(".")
            base = lw[:-2] if lw.endswith(("'s", "’s")) else lw
            if lw in stop or base in stop or lw in vocab or base in vocab:
                break
            sentence_start = _SENTENCE_END.search(text, max(0, ws - 4), ws) is not None
            if sentence_start and lw in d.very_common and base not in names:
                break
            start = ws
            if lw in generic or base in generic or lw.rstrip(".") == "st":
                continue
            if strict:
                proper = proper or base not in english or base in names
            else:
                proper = True
        end = e
        of = _PLACE_OF.match(text, e)
        if of is not None and inst.lower().startswith(("universit", "college", "school", "academy", "hospital")):
            tail = [t.lower() for t in of.group(1).split()]
            if any(t not in generic and t not in stop and t not in vocab for t in tail):
                end = of.end()
                proper = True
        if proper:
            out.append((start, end, 6, "PLACE", text[start:end]))
    return out


# In a long window (hostile digit runs: one window over the whole text) most members' cheap needs can
# fail; those members yield nothing there, but the combined expression still tries them at every
# position. With at most _COMBO_MIN_LIVE members left, they run one by one instead (same candidates:
# each as its own `finditer`, which the combined expression reproduces).
_COMBO_SPLIT_WINDOW = 2000
_COMBO_MIN_LIVE = 5


def _needs_hold(text: str, lo: int, hi: int, need: tuple[str, ...], feats: dict, needs_ok: dict) -> bool:
    """Whether every character need of a rule holds in [lo, hi); remembered per window and need."""
    ok = needs_ok.get((lo, hi, need))
    if ok is None:
        ok = needs_ok[(lo, hi, need)] = all(_has(text, lo, hi, chars, feats) for chars in need)
    return ok


def _run_live_one_by_one(rules: list[_Rule], active, text: str, lo: int, hi: int, fast: bool, d: _Data, feats: dict,
                         needs_ok: dict, cands: list) -> bool:
    """Run the members of `active` whose needs hold in [lo, hi) one by one, if they are few; else False."""
    live = []
    for member in active:
        need = rules[member[0]].need
        if need and not _needs_hold(text, lo, hi, need, feats, needs_ok):
            continue
        live.append(member)
    if len(live) > _COMBO_MIN_LIVE:
        return False
    regexes = d.rules_ascii if fast else [r.regex for r in rules]
    for i, _gw, _gv in live:
        rule = rules[i]
        group, check, kind, prio = rule.group, rule.check, rule.kind, rule.priority
        for m in regexes[i].finditer(text, lo, hi):
            vs, ve = m.span(group)
            if vs == ve or check is not None and not check(text[vs:ve]):
                continue
            cands.append((vs - ve, prio, vs, kind, ve))
    return True


def _run_combo(combo: _Combo, text: str, d: _Data, fast: bool, low: str, windows: dict, feats: dict, needs_ok: dict,
               cands: list) -> None:
    """The rules of `combo`, as if each ran `finditer` on its own over its windows (see _Combo)."""
    rules = d.rules
    active = [(i, gw, gv) for i, gw, gv in combo.members if not rules[i].gate or any(g in low for g in rules[i].gate)]
    if not active:
        return
    anchor = rules[active[0][0]].anchor
    spans = windows.get(anchor)
    if spans is None:
        spans = windows[anchor] = _anchor_windows(text, anchor, d, fast, low)
    regex = combo.regex_ascii if fast else combo.regex
    for lo, hi in spans:
        if hi - lo > _COMBO_SPLIT_WINDOW and _run_live_one_by_one(rules, active, text, lo, hi, fast, d, feats, needs_ok, cands):
            continue
        last_end = dict.fromkeys(combo.rules, -1)  # per rule: where its own finditer would resume
        for m in regex.finditer(text, lo, hi):
            s = m.start()
            regs = m.regs
            for i, gw, gv in active:
                e = regs[gw][1]
                if e < 0 or s < last_end[i]:
                    continue
                last_end[i] = e
                rule = rules[i]
                need = rule.need
                if need and not _needs_hold(text, lo, hi, need, feats, needs_ok):
                    continue
                vs, ve = regs[gv] if gv else (s, e)
                if vs == ve:
                    continue
                if rule.check is not None and not rule.check(text[vs:ve]):
                    continue
                cands.append((vs - ve, rule.priority, vs, rule.kind, ve))


def _anchor_windows(text: str, name: str, d: _Data, fast: bool, low: str) -> list[tuple[int, int]]:
    """_windows(text, d.anchors[name]), computed the cheapest equivalent way."""
    if fast:
        mask_rx = _MASK_CLUSTERS.get(name)
        if mask_rx is not None:  # digit clusters on the digit mask (ASCII text: `\d` is [0-9])
            _rx, back, fwd = d.anchors[name]
            mask = text.encode("ascii").translate(_DIGIT_MASK)
            return _merge_windows(map(re.Match.span, mask_rx.finditer(mask)), len(text), back, fwd)
    if name == "street" and not any(w in text for w in _STREET_WORD_LIST):
        return []  # every hit contains one of these words as written
    if name == "dottld" and "dot" not in low:
        return _windows(text, d.dottld_dot_only[1 if fast else 0])
    return _windows(text, (d.anchors_ascii if fast else d.anchors)[name])


_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.%+-")
_ASCII_SPACE = frozenset(" \t\n\r\f\v")
_AT_BRACKET = re.compile(r"[\[\(\{<]\s*(?i:at)\s*[\]\)\}>]", re.ASCII)
_AT_WORD = re.compile(r"(?i:at)(?<=\s..)(?=\s)", re.ASCII)
_EMAIL_LOCAL_MAX = 64 + 4 * 65  # [\w%+-]{1,64}(?:\.[\w%+-]{1,64}){0,4}


def _spelled_email_spans(text: str, regex: re.Pattern, lo: int, hi: int) -> list[tuple[int, int]]:
    """`regex.finditer(text, lo, hi)` spans for the spelled-out email rule on ASCII text without "dot"
    (its {dot} is then only "."), trying only the positions where a match can start.

    A match is local part, {at}, domain. The local part is a run of [\w.%+-] that must reach the {at}
    (whose first character, a space, "@" or an opening bracket, is not in that class), and the rule's
    look-behind forbids a start inside such a run; so a match starts where the run before an "@", a
    bracketed "at" or a spaced "at" (past the spaces) starts, at most 324 characters back. Trying
    those starts in order, each at or after the previous match's end, is what `finditer` does."""
    limit = 8 + (hi - lo) // 64  # more possible starts (dense "@"s or "at"s): one C-level scan is cheaper
    if text.count("@", lo, hi) > limit:
        return [span for span in map(re.Match.span, regex.finditer(text, lo, hi))]
    ats: list[int] = []
    i = text.find("@", lo, hi)
    while i != -1:
        ats.append(i)
        i = text.find("@", i + 1, hi)
    ats += [m.start() for m in _AT_BRACKET.finditer(text, lo, hi)]
    ats += [m.start() for m in _AT_WORD.finditer(text, lo, hi)]
    if not ats:
        return []
    if len(ats) > limit:
        return [span for span in map(re.Match.span, regex.finditer(text, lo, hi))]
    starts = set()
    local, space = _EMAIL_LOCAL, _ASCII_SPACE
    for a in ats:
        q = a
        while q > lo and text[q - 1] in space:
            q -= 1
        p = q
        stop = max(lo, q - _EMAIL_LOCAL_MAX - 1)
        while p > stop and text[p - 1] in local:
            p -= 1
        if p < q and (p == lo or text[p - 1] not in local):
            starts.add(p)
    out = []
    pos = lo
    for p in sorted(starts):
        if p < pos:
            continue
        m = regex.match(text, p, hi)
        if m is not None:
            out.append(m.span())
            pos = m.end()
    return out


def _structured(text: str, d: _Data) -> list[tuple[int, int, str, str]]:
    cands: list[tuple[int, int, int, str, int]] = []  # (-length, priority, start, kind, end)
    windows: dict[str, list[tuple[int, int]]] = {}
    feats: dict[tuple[int, int, str], bool] = {}
    needs_ok: dict[tuple[int, int, tuple[str, ...]], bool] = {}
    whole = ((0, len(text)),)
    low = text.lower()
    span = re.Match.span
    fast = _ascii_ok(text)
    regexes = d.rules_ascii if fast else [r.regex for r in d.rules]
    combo_of = d.combo_of
    combos_done: set[int] = set()
    for ri, rule in enumerate(d.rules):
        combo = combo_of.get(ri)
        if combo is not None:
            if id(combo) not in combos_done:
                combos_done.add(id(combo))
                _run_combo(combo, text, d, fast, low, windows, feats, needs_ok, cands)
            continue
        if rule.gate and not any(g in low for g in rule.gate):
            continue
        if rule.anchor is None:
            spans: Iterable[tuple[int, int]] = whole
        else:
            spans = windows.get(rule.anchor)  # type: ignore[assignment]
            if spans is None:
                spans = windows[rule.anchor] = _anchor_windows(text, rule.anchor, d, fast, low)
        kind, group, check, need, prio = rule.kind, rule.group, rule.check, rule.need, rule.priority
        regex = regexes[ri]
        plain = group == 0 and check is None and kind not in ("URL", "NAME")
        if rule.anchor == "dottld" and kind == "EMAIL" and fast and "dot" not in low:
            # the spelled-out email rule: its matches, from the few positions where one can start
            for lo, hi in spans:
                cands += [(s - e, prio, s, kind, e) for s, e in _spelled_email_spans(text, regex, lo, hi)]
            continue
        for lo, hi in spans:
            if need and not _needs_hold(text, lo, hi, need, feats, needs_ok):
                continue
            if plain:  # no per-match work beyond the span (hostile input can give 30,000 matches)
                cands += [(s - e, prio, s, kind, e) for s, e in map(span, regex.finditer(text, lo, hi)) if s != e]
                continue
            for m in regex.finditer(text, lo, hi):
                s, e = m.span(group)
                if s == e:
                    continue
                val = text[s:e]
                if kind == "URL" and val[-1] in ".,;:!?":
                    val = val.rstrip(".,;:!?")
                    e = s + len(val)
                if check is not None and not check(val):
                    continue
                if kind == "NAME" and val.replace(" ", "").upper() in d.not_initials:
                    continue
                cands.append((s - e, prio, s, kind, e))
    if d.inst_rx is not None:
        cands += [(s - e, p, s, k, e) for s, e, p, k, _v in _places(text, d)]
    if not cands:
        return []
    cands.sort()  # longest first, then priority, then position (identical spans: the first is kept)
    by_start = sorted(cands, key=itemgetter(2))
    if all(a[4] <= b[2] for a, b in zip(by_start, by_start[1:])):  # nothing overlaps: keep all
        return [(s, e, kind, text[s:e]) for _n, _p, s, kind, e in by_start]
    covered = bytearray(len(text))
    chosen = []
    for _n, _p, s, kind, e in cands:
        if covered.find(1, s, e) != -1:
            continue
        covered[s:e] = b"\x01" * (e - s)
        chosen.append((s, e, kind, text[s:e]))
    return chosen


# possessive repeats: nothing after a token's letters can use fewer of them, so the tokens are the
# same as _TOKEN's, with less backtracking bookkeeping
_TOKEN_SPLIT = re.compile(r"([^\W\d_]++(?:['’](?!(?i:s|t|re|ve|ll|d|m)\b)[^\W\d_]++)*+)")
# the same tokens for ASCII text, with plain letter classes (faster than [^\W\d_])
_TOKEN_SPLIT_ASCII = re.compile(r"([A-Za-z]++(?:'(?!(?:[sStTdDmM]|[rR][eE]|[vV][eE]|[lL][lL])\b)[A-Za-z]++)*+)")
_CUE_GAP = re.compile(r"[\s,:]{1,3}")
_ADJ_GAP = re.compile(r"\.?\s{1,3}")
_PHRASE_GAP = re.compile(r"[\s.,]*")
_CHAIN_GAP = re.compile(r"[ \t\u00a0]{1,2}|-|\.[ \t\u00a0]?")  # never across a line break
_BACK_GAP = re.compile(r"\s{1,2}|-")
_SP_GAP = re.compile(r"\s{1,2}")
_NEXT_GAP = re.compile(r"\s{1,3}")
_INIT_GAP = re.compile(r"\.\s?")


def _ones(flags: bytearray) -> list[int]:
    out = []
    i = flags.find(1)
    while i != -1:
        out.append(i)
        i = flags.find(1, i + 1)
    return out


_MEETING_CUES = frozenset({"with", "to", "told", "asked", "met", "texted", "visited", "saw"})


def _joins(gap: str, left: str) -> bool:
    """Two name tokens are one name across this gap: a space or hyphen, or a full stop only after an
    initial ("J. Smith"), never a sentence end ("…from Mark. Sam told me") or a line break."""
    return _CHAIN_GAP.fullmatch(gap) is not None and ("." not in gap or len(left) == 1)


def _names(text: str, d: _Data, taken: list[tuple[int, int, str, str]]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Return name spans (start, end, lower-case tokens).

    One tokenisation (`re.split`, offsets by `accumulate`), then per-token decisions only
    for tokens that are not plain lower-case dictionary words; chain extension runs as a
    work-list over found names, so the cost follows the number of candidates, not tokens.
    """
    ascii_text = text.isascii()
    split = _TOKEN_SPLIT_ASCII.split if ascii_text else _TOKEN_SPLIT.split
    parts = split(text)
    words = parts[1::2]
    n = len(words)
    if not n:
        return []
    offs = [0, *accumulate(map(len, parts))]
    starts = offs[1::2][:n]
    ends = offs[2::2]
    # tokens hold no space and lower-casing never makes one, so this is [w.lower() for w in words] in C
    # (a final sigma is lowered the same: a space, like a string edge, is neither cased nor case-ignorable)
    lwords = " ".join(words).lower().split(" ")

    def gap(i: int) -> str:  # text between token i-1 and token i
        return parts[2 * i] if i > 0 else ""

    blocked = bytearray(n)
    for s, e, _k, _v in taken:
        a = bisect_right(ends, s)
        b = bisect_left(starts, e)
        if a < b:
            blocked[a:b] = b"\x01" * (b - a)
    safe = d.safe_lower
    first, last, names, english = d.first, d.last, d.names, d.english
    titles, vocab, source, months = d.titles, d.vocab_words, d.source_words, d.months_namelike
    relation, naming, person_prev = d.relation_cues, d.naming_cues, d.person_prev
    phrases = d.phrases
    is_name = bytearray(n)
    deferred: set[int] = set()

    def initial(i: int) -> bool:
        j = starts[i] - 1
        while j >= 0 and text[j] in " \t\"“‘'([*_":
            j -= 1
        if j < 0:
            return True
        ch = text[j]
        if ch == "." and i > 0 and ends[i - 1] == j:
            pw = lwords[i - 1]
            if pw in titles or len(pw) == 1:
                return False
        return ch in _INITIAL_PREV or ch in "-–—" and (j == 0 or text[j - 1] in "\n ")

    def compound(i: int) -> bool:
        s, e = starts[i], ends[i]
        if e < len(text) - 1 and text[e] == "-" and text[e + 1].islower():
            return True
        return s > 1 and text[s - 1] == "-" and text[s - 2].islower()

    skip_until = 0
    skip = d.skip_tokens
    for idx in compress(count(), map(not_, map(skip.__contains__, words))):  # tokens not in skip, in C
        if idx < skip_until or blocked[idx]:
            continue
        w = words[idx]
        lw = lwords[idx]
        if len(w) == 1 and (idx == 0 or lwords[idx - 1] not in titles) and lw not in phrases:
            continue  # a lone letter ("I", "A") is a name only after a title; initials are handled later
        if lw in safe and w.islower():
            continue
        # protected phrases (allow-list and the knowledge source)
        if lw in phrases:
            hit = 0
            for ph in phrases[lw]:
                k = len(ph)
                if idx + k <= n and all(lwords[idx + j] == ph[j] for j in range(k)) and all(
                    _PHRASE_GAP.fullmatch(parts[2 * (idx + j)]) for j in range(1, k)
                ):
                    hit = k
                    break
            if hit:
                blocked[idx:idx + hit] = b"\x01" * hit
                skip_until = idx + hit
                continue
        if lw in titles:
            continue
        cap = w[0].isupper()
        prev = lwords[idx - 1] if idx > 0 else ""
        pgap = gap(idx)
        cue_gap = idx > 0 and _CUE_GAP.fullmatch(pgap) is not None
        if lw in months:
            if cap and cue_gap and prev in person_prev and prev not in ("and", "from", "by", "for", "about", "between"):
                is_name[idx] = 1
            continue
        if lw in vocab:
            continue
        adjacent_prev = idx > 0 and _ADJ_GAP.fullmatch(pgap) is not None
        if cap and adjacent_prev and prev in titles and not blocked[idx - 1]:
            is_name[idx] = 1
            continue
        if cap and cue_gap and len(w) > 1 and not w.isupper() and (prev in relation or prev in naming):
            is_name[idx] = 1
            continue
        if lw in source:
            continue
        if len(w) == 1:
            continue
        if w.isupper():
            if lw in names and len(w) >= 4 and lw not in english:
                is_name[idx] = 1
            continue
        if compound(idx):
            continue
        if cue_gap and prev in naming and (lw in first or (cap and lw not in english)):
            is_name[idx] = 1
            continue
        if cue_gap and prev in relation and (cap or (lw in first and lw not in english)):
            is_name[idx] = 1
            continue
        if cap:
            if not initial(idx):
                if lw in names or lw not in english:
                    is_name[idx] = 1
                continue
            if lw in names:
                if lw not in english or (lw in first and lw not in d.commonish):
                    is_name[idx] = 1
                else:
                    deferred.add(idx)
                continue
            if lw not in english:
                is_name[idx] = 1
            continue
        # lower case
        if not cap and adjacent_prev and prev in titles and len(lw) > 2 and lw not in english and not blocked[idx - 1]:
            is_name[idx] = 1  # "mr okafor", "dr. nwosu": lower-case title, then a non-dictionary word
            continue
        if cue_gap and (prev in d.strong_cues or prev in relation) and lw not in english and lw not in d.commonish:
            # "my client priya cancelled", "supervisee oliwia asked", "her friend tendai said": a
            # non-dictionary word right after client/patient/supervisee or a relation word, followed by a
            # verb or punctuation
            e = ends[idx]
            after = text[e:e + 1]
            strong = prev in d.strong_cues  # after a relation word only a following verb counts
            if lw in names or (idx + 1 < n and _NEXT_GAP.fullmatch(parts[2 * idx + 2]) and lwords[idx + 1] in d.person_next) or strong and (
                after in (",", ".", ";", "!", "?", ")") or not after
                or after in ("'", "’") and text[e + 1:e + 2] in ("s", "S") and not text[e + 2:e + 3].isalpha()
            ):
                is_name[idx] = 1
                continue
        if (lw not in first and cue_gap and prev in _MEETING_CUES and len(lw) >= 3 and lw.isalpha()
                and lw not in english and lw not in d.commonish and idx + 1 < n
                and _NEXT_GAP.fullmatch(parts[2 * idx + 2]) and lwords[idx + 1] in d.person_next):
            is_name[idx] = 1  # "met with oluwaseun and her aunt": a name no list knows, between a meeting verb and a verb
            continue
        if lw in first:
            if lw not in english:
                is_name[idx] = 1
            elif lw not in d.commonish and cue_gap and prev in person_prev:
                e = ends[idx]
                after = text[e:e + 1]
                if (idx + 1 < n and _NEXT_GAP.fullmatch(parts[2 * idx + 2]) and lwords[idx + 1] in d.person_next) or (
                    after in (",", ".", ";", "!", "?", "'", "’") or not after
                ):
                    is_name[idx] = 1

    # chain extension: surnames, particles and initials next to a found name (a work-list to a fixpoint)
    work = _ones(is_name)
    while work:
        idx = work.pop()
        j = idx + 1
        if j < n and not is_name[j] and not blocked[j]:
            g = parts[2 * j]
            w = words[j]
            lw = lwords[j]
            ok_gap = _joins(g, words[idx])
            if ok_gap and lw not in vocab and lw not in source:
                if w[0].isupper() and (lw in names or lw not in english or len(w) == 1):
                    is_name[j] = 1
                    work.append(j)
                elif w.islower() and lw in last and lw not in english:
                    is_name[j] = 1
                    work.append(j)
                elif lw in _NAME_PARTICLES and j + 1 < n and words[j + 1][0].isupper() and _SP_GAP.fullmatch(parts[2 * j + 2]):
                    is_name[j] = 1
                    work.append(j)
                    if not is_name[j + 1]:
                        is_name[j + 1] = 1
                        work.append(j + 1)
        k = idx - 1
        if k >= 0 and not is_name[k] and not blocked[k] and _BACK_GAP.fullmatch(parts[2 * idx]):
            w = words[k]
            lw = lwords[k]
            if w[0].isupper() and lw in first and lw not in vocab and lw not in months and (
                k in deferred or not initial(k) and lw not in source
            ):
                is_name[k] = 1
                work.append(k)
    # single capital letter + "." before a capitalised surname: "J. Smith"
    for idx in [i - 1 for i in _ones(is_name) if i > 0]:
        w = words[idx]
        if len(w) == 1 and w.isupper() and w not in ("I", "A") and not blocked[idx] and _INIT_GAP.fullmatch(parts[2 * idx + 2]):
            is_name[idx] = 1

    # confirmation: other occurrences of a found name
    confirmed = {lwords[k] for k in _ones(is_name) if len(words[k]) > 1}
    if confirmed:
        for k in compress(count(), map(confirmed.__contains__, lwords)):
            if is_name[k] or blocked[k]:
                continue
            w = words[k]
            lw = lwords[k]
            if lw not in vocab and lw not in source and lw not in months:
                if w[0].isupper() or lw not in d.commonish:
                    is_name[k] = 1

    spans: list[tuple[int, int, tuple[str, ...]]] = []
    k = 0
    name_idx = _ones(is_name)
    pos = 0
    while pos < len(name_idx):
        k = name_idx[pos]
        j = k
        while pos + 1 < len(name_idx) and name_idx[pos + 1] == j + 1 and _joins(parts[2 * j + 2], words[j]):
            j += 1
            pos += 1
        pos += 1
        s, e = starts[k], ends[j]
        if e < len(text) and text[e] == "." and len(words[j]) == 1:
            e += 1
        spans.append((s, e, tuple(lwords[x] for x in range(k, j + 1) if len(words[x]) > 1)))
    return spans


def _redaction(kind: str, start: int, end: int, label: str) -> Redaction:
    """Same object as Redaction(kind, start, end, label), without the frozen dataclass's
    per-field object.__setattr__ (a third of the cost when a hostile text has 30,000 tokens)."""
    r = object.__new__(Redaction)
    r.__dict__.update(kind=kind, start=start, end=end, label=label)
    return r


_GC_PAUSE_CHARS = 20_000


def scrub(text: str) -> ScrubResult:
    """Normalise `text` and replace identifiers with numbered tokens."""
    norm = normalise(text if isinstance(text, str) else str(text))
    if not norm:
        return ScrubResult("", (), norm)
    d = _data()
    if len(norm) < _GC_PAUSE_CHARS or not gc.isenabled():
        return _scrub(norm, d)
    # A long hostile text can yield 30,000+ redactions; the tuples behind them would trigger
    # repeated cyclic-GC passes (about 40% of the time). scrub creates no reference cycles, so the
    # collector is paused for this bounded, CPU-bound call and restored afterwards.
    gc.disable()
    try:
        return _scrub(norm, d)
    finally:
        gc.enable()


def _scrub(norm: str, d: _Data) -> ScrubResult:
    found = _structured(norm, d)
    name_spans = _names(norm, d, found)

    keys: dict[tuple[str, str], str] = {}

    def key_of(kind: str, val: str) -> str:
        got = keys.get((kind, val))
        if got is None:
            got = keys[(kind, val)] = _value_key(kind, val)
        return got

    items: list[tuple[int, int, str, str]] = [(s, e, k, key_of(k, v)) for s, e, k, v in found if k != "NAME"]
    # person entities: full names keyed by surname; lone tokens join a known person
    name_items = [(s, e, "NAME", toks) for s, e, toks in name_spans if toks]
    items += [(s, e, "NAME", "initials:" + key_of("NAME", v).replace(" ", "")) for s, e, k, v in found if k == "NAME"]
    entity_of: dict[str, str] = {}
    first_to_entity: dict[str, set[str]] = {}
    for s, e, _k, toks in sorted(name_items, key=lambda t: -len(t[3])):
        key = next((entity_of[t] for t in toks if t in entity_of), None)
        if key is None and len(toks) > 1:
            key = "person:" + toks[-1]
        if len(toks) > 1:
            for t in toks[:-1]:
                first_to_entity.setdefault(t, set()).add(key)
            entity_of.setdefault(toks[-1], key)
    for s, e, _k, toks in name_items:
        if len(toks) > 1:
            key = entity_of.get(toks[-1]) or "person:" + toks[-1]
        else:
            t = toks[0]
            if t in entity_of:
                key = entity_of[t]
            elif len(first_to_entity.get(t, ())) == 1:
                key = next(iter(first_to_entity[t]))
            else:
                key = "person:" + t
        items.append((s, e, "NAME", key))

    items.sort()
    counters: dict[str, int] = {}
    labels: dict[tuple[str, str], tuple[str, str]] = {}
    out: list[str] = []
    reds: list[Redaction] = []
    pos = 0
    for s, e, kind, key in items:
        if s < pos:
            continue
        got = labels.get((kind, key))
        if got is None:
            counters[kind] = counters.get(kind, 0) + 1
            label = f"{kind}-{counters[kind]}"
            got = labels[(kind, key)] = (label, f"[{label}]")
        out.append(norm[pos:s])
        out.append(got[1])
        reds.append(_redaction(kind, s, e, got[0]))
        pos = e
    out.append(norm[pos:])
    return ScrubResult("".join(out), tuple(reds), norm)


def looks_identifying(text: str) -> bool:
    """True if scrub() would redact anything."""
    return bool(scrub(text).redactions)
