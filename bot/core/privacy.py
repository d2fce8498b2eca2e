"""Identifier scrubbing for journal text (HIPAA Safe Harbor checklist as the guide).

`scrub(text)` normalises the text (NFKC, zero-width and bidi controls removed) and
replaces identifiers with typed, numbered tokens such as ``[NAME-1]`` or
``[PHONE-2]``. The same value keeps its number within one text.

Two passes, both linear in the input:

1. Structured identifiers (emails, phones, dates, ids, URLs, ...) via a set of
   regular expressions whose repetitions are all bounded or guarded by a
   look-behind, so no pattern can backtrack catastrophically. Overlaps are
   resolved longest-first.
2. Person names via one tokenising regex and set look-ups: first/last names from
   faker's person providers, ordinary English words from
   content/privacy/english_words.txt, the allow-list in
   content/privacy/vocabulary.yaml and every word of content/ipnb/*.yaml.

Data is loaded once (lazily, under a lock) and shared read-only, so `scrub` is
pure and thread-safe. This module must not import discord.
"""
from __future__ import annotations

import importlib
import ipaddress
import re
import threading
import unicodedata
from dataclasses import dataclass
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


def _v_keyword_id(s: str) -> bool:
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
        self.rules = _build_rules(sorted(tlds, key=len, reverse=True))


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

@dataclass(frozen=True)
class _Rule:
    kind: str
    regex: re.Pattern
    priority: int  # lower wins when two candidates cover the same span length
    group: str | int = 0
    check: Callable[[str], bool] | None = None
    gate: re.Pattern | str | None = None  # skip the rule unless this occurs in the text
    digits: bool = False  # run only in windows around digits


_MON = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
        r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|january|february|april|june|july|august|september|october"
        r"|november|december)")
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND"
           "|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY")
_SUFFIX = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Place|Pl|Terrace|Ter|Way"
           r"|Close|Crescent|Cres|Square|Sq|Highway|Hwy|Parkway|Pkwy|Circle|Cir|Gardens|Grove|Row|Mews|Hill|Walk"
           r"|Park|Trail|Green)")


_SPELLED_GATE = re.compile(r"(?i)\bdot\b|[\[\(\{<]\s*at\s*[\]\)\}>]|@|\bat\s+[\w-]+\.[a-z]")
_SCHEME_GATE = re.compile(r"(?i)://|www\.")
_DOMAIN_GATE = re.compile(r"[a-z0-9]\.[a-z]")
_NINETY_GATE = re.compile(r"(?i)ninety")
_STREET_GATE = re.compile(r"\b(?:Street|Road|Avenue|Lane|Drive|Boulevard|Terrace|Crescent|Grove|Gardens|Mews)\b")


def _build_rules(tlds: list[str]) -> list[_Rule]:
    tld = "(?:" + "|".join(map(re.escape, tlds)) + ")"
    dot = r"(?:\.|\s*[\[\(\{<]\s*(?i:dot)\s*[\]\)\}>]\s*|\s+(?i:dot)\s+)"
    at = r"(?:\s*@\s*|\s*[\[\(\{<]\s*(?i:at)\s*[\]\)\}>]\s*|\s+(?i:at)\s+)"
    c = re.compile
    r: list[_Rule] = [
        # rules without a digit gate
        _Rule("MENTION", c(r"<(?:@[!&]?|#)\d{1,21}>"), 0, gate="<"),
        _Rule("EMAIL", c(r"(?<![\w.%+-])[\w.%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}\b"), 1, gate="@"),
        _Rule("EMAIL", c(rf"(?<![\w.%+-])[\w%+-]{{1,64}}(?:{dot}[\w%+-]{{1,64}}){{0,4}}{at}[A-Za-z0-9-]{{1,63}}"
                         rf"(?:{dot}[A-Za-z0-9-]{{1,63}}){{0,3}}{dot}{tld}\b"), 1, gate=_SPELLED_GATE),
        _Rule("URL", c(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]{}]{1,2048}", re.I), 2, gate=_SCHEME_GATE),
        _Rule("URL", c(rf"(?<![\w.@/-])(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.){{1,6}}{tld}\b(?:/[^\s<>\"'()]{{0,2048}})?"), 2, gate=_DOMAIN_GATE),
        _Rule("HANDLE", c(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,30}[A-Za-z0-9_])?"), 3, gate="@"),
        _Rule("HANDLE", c(r"(?<![\w#])[\w.]{2,32}#\d{4}(?!\w)"), 3, gate="#", digits=True),
        _Rule("IP", c(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)"), 2, digits=True),
        _Rule("IP", c(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![\w:])"), 2, check=_v_ip6, gate=":"),
        # dates
        _Rule("DATE", c(rf"\b{_DAY}(?:\s+of)?\s+{_MON}\b\.?(?:,?\s+(?:\d{{4}}|'?\d{{2}})\b)?"), 4, digits=True),
        _Rule("DATE", c(rf"\b{_MON}\b\.?\s+{_DAY}\b(?:,?\s+\d{{4}}\b)?"), 4, digits=True),
        _Rule("DATE", c(rf"\b{_MON}\b\.?,?\s+(?:of\s+)?(?:\d{{4}}|'\d{{2}})\b"), 4, digits=True),
        _Rule("DATE", c(r"(?<![\w./-])\d{4}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?![\w/-]|\.\d)"), 4, digits=True),
        _Rule("DATE", c(r"(?<![\w./-])(?:0?[1-9]|[12]\d|3[01])([/.-])(?:0?[1-9]|[12]\d|3[01])\1(?:\d{4}|\d{2})(?![\w/-]|\.\d)"),
              4, check=_v_numdate, digits=True),
        _Rule("DATE", c(r"(?i:\b(?:on|since|from|until|till|by|dated?|dob|born)\b[\s:]+)(?P<v>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\w/])"),
              4, group="v", digits=True),
        _Rule("DATE", c(r"(?i:\b(?:on|born on|since|from|until|by)\s+the\s+)(?P<v>(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))\b(?!\s+(?:session|time|visit|week|day|appointment|floor|grade)\b)"),
              4, group="v", digits=True),
        # ages over 89
        _Rule("AGE", c(r"(?i)\b(?:9\d|1[01]\d)(?:[\s-]*years?[\s-]*old\b|[\s-]*y/?o\b|[\s-]*yrs?[\s-]*old\b)"), 3, digits=True),
        _Rule("AGE", c(r"(?i)\bninety(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?[\s-]+years?[\s-]+old\b"), 3, gate=_NINETY_GATE),
        _Rule("AGE", c(r"(?i:\b(?:aged?|age of|turned|turning)\s+)(?P<v>9\d|1[01]\d)\b(?!\s*(?:%|percent|minutes?|mins?|hours?|days?|weeks?|months?|times?|pounds?|lbs?|kg|points?|dollars?)\b)"),
              3, group="v", digits=True),
        _Rule("AGE", c(r"(?i:\b(?:she|he|they|who|client|patient|mother|father|mom|mum|dad|grandmother|grandfather|grandma|grandpa|i)(?:'s|’s|\s+is|\s+was|\s+turns|\s+will\s+be|\s+is\s+now|\s+was\s+now|\s+'?m|\s+am)\s+)(?P<v>9\d|1[01]\d)\b(?!\s*(?:%|percent|minutes?|mins?|hours?|days?|weeks?|months?|times?|pounds?|lbs?|kg|points?|dollars?|out\b|of\b|on\b)\b)"),
              3, group="v", digits=True),
        # addresses and postcodes
        _Rule("ADDRESS", c(rf"\b\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?,?\s+(?:[A-Z][\w'’-]{{0,30}}\.?\s+){{1,3}}{_SUFFIX}\b\.?"
                           r"(?:,?\s+(?:Apt|Apartment|Flat|Unit|Suite|Ste|#)\.?\s*#?\s*\w{1,6})?"
                           r"(?:,\s*[A-Z][a-z]{1,30}(?:\s+[A-Z][a-z]{1,30}){0,2}(?=[\s,.;:)!?]|$))?"
                           r"(?:,?\s+\d{5}(?:-\d{4})?(?!\w))?"), 5, digits=True),
        _Rule("ADDRESS", c(r"\b(?:Apt|Apartment|Flat|Unit|Suite|Ste|Room|Rm)\.?\s*#?\s*\d{1,5}[A-Za-z]?\b"), 5, digits=True),
        _Rule("ADDRESS", c(r"\bP\.?\s?O\.?\s+Box\s+\d{1,8}\b", re.I), 5, digits=True),
        _Rule("ADDRESS", c(r"\b(?:[A-Z][a-z']{1,30}\s+){1,2}(?:Street|Road|Avenue|Lane|Drive|Boulevard|Terrace|Crescent|Grove|Gardens|Mews)\b"), 6, gate=_STREET_GATE),
        _Rule("POSTCODE", c(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}\b"), 5, digits=True),
        _Rule("POSTCODE", c(rf"(?:\b(?:{_STATES})|(?i:\bzip(?:\s*code)?|\bpost\s*code|\bpostal\s+code))[\s,:#]*(?P<v>\d{{5}}(?:-\d{{4}})?)(?![\w-])"),
              5, group="v", digits=True),
        _Rule("POSTCODE", c(r"(?<![\w-])\d{5}-\d{4}(?![\w-])"), 5, digits=True),
        # identifying numbers
        _Rule("ID", c(r"(?<![\w-])\d{3}([- ])\d{2}\1\d{4}(?![\w-])"), 3, digits=True),
        _Rule("ID", c(r"(?<![\w-])\d{3} ?\d{3} ?\d{4}(?![\w-])"), 3, check=_v_nhs, digits=True),
        _Rule("ID", c(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"), 3, digits=True),
        _Rule("ID", c(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])"), 3, check=_v_card, digits=True),
        _Rule("ID", c(r"(?i:\b(?:mrn|medical\s+record|record|patient|chart|case|account|acct|policy|member|insurance|"
                      r"hospital|nhs|ni|national\s+insurance|licen[cs]e|passport|plate|registration|reg|vin|serial|device|"
                      r"ssn|social\s+security|health\s+plan|beneficiary|certificate|client|id)\b\.?"
                      r"(?:\s*(?:number|num|no\.?|#|id|code))?\s*(?:is|was|=|:|#|no\.?)?\s*)"
                      r"(?P<v>[A-Z0-9][A-Z0-9-]{2,24})(?![\w-])", re.I), 3, group="v", check=_v_keyword_id, digits=True),
        _Rule("ID", c(r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b"), 6, digits=True),  # UK vehicle registration
        _Rule("PHONE", c(r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?![\w])"), 4, check=_v_phone, digits=True),
        _Rule("PHONE", c(r"(?<![\w+])(?:(?:\+|00)44\s?(?:\(0\)\s?)?|\(?0)\d{2,4}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\w)"), 4, check=_v_phone, digits=True),
        _Rule("PHONE", c(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,5}(?!\w)"), 4, check=_v_phone, digits=True),
        _Rule("PHONE", c(r"(?<![\w.-])\d{3}[-.]\d{4}(?![\w-]|\.\d)"), 7, digits=True),
        _Rule("ID", c(r"(?<![\w-])\d{6,}(?![\w-])"), 8, digits=True),
        _Rule("ID", c(r"\b(?:[A-Za-z]{1,12}\d|\d{1,12}[A-Za-z])[A-Za-z0-9]*(?:-[A-Za-z0-9]+){0,4}\b"), 9, check=_v_alnum_id, digits=True),
        _Rule("NAME", c(r"\b[A-Z]\.\s?[A-Z]\.(?:\s?[A-Z]\.)?(?!\w)"), 7),
    ]
    return r


# ---------------------------------------------------------------- keys for numbering

def _value_key(kind: str, s: str) -> str:
    low = s.lower()
    if kind == "EMAIL":
        low = re.sub(r"\b(?:dot|at)\b", "", low)
        return re.sub(r"[\W_]+", "", low)
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
        return re.sub(r"[\W_]+", "", low)
    return re.sub(r"\s+", " ", low).strip(" .,")


# ---------------------------------------------------------------- the scrubber

_NAME_PARTICLES = frozenset({"de", "la", "del", "van", "von", "da", "di", "du", "le", "bin", "al", "dos", "das", "ter", "ten", "st", "mc"})
_INITIAL_PREV = frozenset(".!?:;\n•*#>|\"“”(")


_DIGIT_RUN = re.compile(r"\d+")
_BACK, _FWD = 48, 160


def _digit_windows(text: str) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    n = len(text)
    for m in _DIGIT_RUN.finditer(text):
        lo, hi = max(0, m.start() - _BACK), min(n, m.end() + _FWD)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    return windows


def _structured(text: str, d: _Data) -> list[tuple[int, int, str, str]]:
    cands: list[tuple[int, int, int, str, str]] = []
    windows: list[tuple[int, int]] | None = None
    seen: set[tuple[int, int, int]] = set()
    for rule in d.rules:
        if rule.gate is not None:
            if isinstance(rule.gate, str):
                if rule.gate not in text:
                    continue
            elif rule.gate.search(text) is None:
                continue
        if rule.digits:
            if windows is None:
                windows = _digit_windows(text)
            spans = windows
        else:
            spans = ((0, len(text)),)
        for lo, hi in spans:
            for m in rule.regex.finditer(text, lo, hi):
                s, e = m.span(rule.group)
                if s == e:
                    continue
                val = text[s:e]
                if rule.kind == "URL" and val[-1] in ".,;:!?":
                    val = val.rstrip(".,;:!?")
                    e = s + len(val)
                if rule.check is not None and not rule.check(val):
                    continue
                if rule.kind == "NAME" and val.replace(" ", "").upper() in d.not_initials:
                    continue
                cands.append((s, e, rule.priority, rule.kind, val))
    if not cands:
        return []
    cands.sort(key=lambda c: (-(c[1] - c[0]), c[2], c[0]))
    covered = bytearray(len(text))
    chosen = []
    for s, e, _p, kind, val in cands:
        if covered.find(1, s, e) != -1:
            continue
        covered[s:e] = b"\x01" * (e - s)
        chosen.append((s, e, kind, val))
    return chosen


def _names(text: str, d: _Data, taken: list[tuple[int, int, str, str]]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Return name spans (start, end, lower-case tokens)."""
    toks = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    n = len(toks)
    if not n:
        return []
    blocked = bytearray(n)
    if taken:
        covered = bytearray(len(text))
        for s, e, _k, _v in taken:
            covered[s:e] = b"\x01" * (e - s)
        for i, (s, e, _w) in enumerate(toks):
            if covered.find(1, s, e) != -1:
                blocked[i] = 1
    safe = d.safe_lower
    first, last, names, english = d.first, d.last, d.names, d.english
    phrases = d.phrases
    is_name = bytearray(n)
    deferred: list[int] = []

    def gap(i: int) -> str:  # text between token i-1 and token i
        return text[toks[i - 1][1]:toks[i][0]] if i > 0 else ""

    def initial(i: int) -> bool:
        j = toks[i][0] - 1
        while j >= 0 and text[j] in " \t\"“‘'([*_":
            j -= 1
        if j < 0:
            return True
        ch = text[j]
        if ch == "." and i > 0 and toks[i - 1][1] == j:
            pw = toks[i - 1][2].lower()
            if pw in d.titles or len(pw) == 1:
                return False
        return ch in _INITIAL_PREV or ch in "-–—"and (j == 0 or text[j - 1] in "\n ")

    def compound(i: int) -> bool:
        s, e, _w = toks[i]
        if e < len(text) - 1 and text[e] == "-" and text[e + 1].islower():
            return True
        return s > 1 and text[s - 1] == "-" and text[s - 2].islower()

    i = 0
    while i < n:
        s, e, w = toks[i]
        lw = w.lower()
        if blocked[i]:
            i += 1
            continue
        if lw in safe and w.islower():
            i += 1
            continue
        # protected phrases (allow-list and the knowledge source)
        if lw in phrases:
            hit = 0
            for ph in phrases[lw]:
                k = len(ph)
                if i + k <= n and all(toks[i + j][2].lower() == ph[j] for j in range(k)) and all(
                    re.fullmatch(r"[\s.,]*", gap(i + j)) for j in range(1, k)
                ):
                    hit = k
                    break
            if hit:
                blocked[i:i + hit] = b"\x01" * hit
                i += hit
                continue
        i += 1
        idx = i - 1
        if lw in d.titles:
            continue
        cap = w[0].isupper()
        prev = toks[idx - 1][2].lower() if idx > 0 else ""
        pgap = gap(idx)
        cue_gap = idx > 0 and re.fullmatch(r"[\s,:]{1,3}", pgap) is not None
        if lw in d.months_namelike:
            if cap and cue_gap and prev in d.person_prev and prev not in ("and", "from", "by", "for", "about", "between"):
                is_name[idx] = 1
            continue
        if lw in d.vocab_words:
            continue
        adjacent_prev = idx > 0 and re.fullmatch(r"\.?\s{1,3}", pgap) is not None
        if cap and adjacent_prev and prev in d.titles and not blocked[idx - 1]:
            is_name[idx] = 1
            continue
        if cap and cue_gap and len(w) > 1 and not w.isupper() and (prev in d.relation_cues or prev in d.naming_cues):
            is_name[idx] = 1
            continue
        if lw in d.source_words:
            continue
        if len(w) == 1:
            continue
        if w.isupper():
            if lw in names and len(w) >= 4 and lw not in english:
                is_name[idx] = 1
            continue
        if compound(idx):
            continue
        if cue_gap and prev in d.naming_cues and (lw in first or (cap and lw not in english)):
            is_name[idx] = 1
            continue
        if cue_gap and prev in d.relation_cues and (cap or (lw in first and lw not in english)):
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
                    deferred.append(idx)
                continue
            if lw not in english:
                is_name[idx] = 1
            continue
        # lower case
        if lw in first:
            if lw not in english:
                is_name[idx] = 1
            elif lw not in d.commonish and cue_gap and prev in d.person_prev:
                nxt = toks[idx + 1][2].lower() if idx + 1 < n else ""
                after = text[e:e + 1]
                if (idx + 1 < n and re.fullmatch(r"\s{1,3}", text[e:toks[idx + 1][0]] or "x") and nxt in d.person_next) or (
                    after in (",", ".", ";", "!", "?", "'", "’") or not after
                ):
                    is_name[idx] = 1

    # chain extension: surnames, particles and initials next to a found name
    changed = True
    while changed:
        changed = False
        for idx in range(n):
            if not is_name[idx]:
                continue
            j = idx + 1
            if j < n and not is_name[j] and not blocked[j]:
                g = gap(j)
                w = toks[j][2]
                lw = w.lower()
                ok_gap = re.fullmatch(r"\s{1,2}|-|\.\s?", g) is not None and (g != "." or len(toks[idx][2]) == 1)
                if ok_gap and lw not in d.vocab_words and lw not in d.source_words:
                    if w[0].isupper() and (lw in names or lw not in english or len(w) == 1):
                        is_name[j] = 1
                        changed = True
                    elif w.islower() and lw in last and lw not in english:
                        is_name[j] = 1
                        changed = True
                    elif lw in _NAME_PARTICLES and j + 1 < n and toks[j + 1][2][0].isupper() and re.fullmatch(r"\s{1,2}", gap(j + 1)):
                        is_name[j] = 1
                        is_name[j + 1] = 1
                        changed = True
            k = idx - 1
            if k >= 0 and not is_name[k] and not blocked[k] and re.fullmatch(r"\s{1,2}|-", gap(idx)):
                w = toks[k][2]
                lw = w.lower()
                if w[0].isupper() and lw in first and lw not in d.vocab_words and lw not in d.months_namelike and (
                    k in deferred or not initial(k) and lw not in d.source_words
                ):
                    is_name[k] = 1
                    changed = True
        # single capital letter + "." before a capitalised surname: "J. Smith"
    for idx in range(n - 1):
        w = toks[idx][2]
        if len(w) == 1 and w.isupper() and w not in ("I", "A") and not blocked[idx] and is_name[idx + 1] and re.fullmatch(r"\.\s?", gap(idx + 1)):
            is_name[idx] = 1

    # confirmation: other occurrences of a found name
    confirmed = {toks[k][2].lower() for k in range(n) if is_name[k] and len(toks[k][2]) > 1}
    if confirmed:
        for k in range(n):
            if is_name[k] or blocked[k]:
                continue
            w = toks[k][2]
            lw = w.lower()
            if lw in confirmed and lw not in d.vocab_words and lw not in d.source_words and lw not in d.months_namelike:
                if w[0].isupper() or lw not in d.commonish:
                    is_name[k] = 1

    spans: list[tuple[int, int, tuple[str, ...]]] = []
    k = 0
    while k < n:
        if not is_name[k]:
            k += 1
            continue
        j = k
        while j + 1 < n and is_name[j + 1] and re.fullmatch(r"\s{1,2}|-|\.\s?", gap(j + 1)):
            j += 1
        s, e = toks[k][0], toks[j][1]
        if e < len(text) and text[e] == "." and len(toks[j][2]) == 1:
            e += 1
        spans.append((s, e, tuple(toks[x][2].lower() for x in range(k, j + 1) if len(toks[x][2]) > 1)))
        k = j + 1
    return spans


def scrub(text: str) -> ScrubResult:
    """Normalise `text` and replace identifiers with numbered tokens."""
    norm = normalise(text if isinstance(text, str) else str(text))
    if not norm:
        return ScrubResult("", (), norm)
    d = _data()
    found = _structured(norm, d)
    name_spans = _names(norm, d, found)

    items: list[tuple[int, int, str, str]] = [(s, e, k, _value_key(k, v)) for s, e, k, v in found]
    # person entities: full names keyed by surname; lone tokens join a known person
    name_items = [(s, e, "NAME", toks) for s, e, toks in name_spans if toks]
    initials = [(s, e, "NAME", "initials:" + _value_key("NAME", norm[s:e]).replace(" ", "")) for s, e, k, v in found if k == "NAME"]
    items = [it for it in items if it[2] != "NAME"] + initials
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
    labels: dict[tuple[str, str], str] = {}
    out: list[str] = []
    reds: list[Redaction] = []
    pos = 0
    for s, e, kind, key in items:
        if s < pos:
            continue
        label = labels.get((kind, key))
        if label is None:
            counters[kind] = counters.get(kind, 0) + 1
            label = labels[(kind, key)] = f"{kind}-{counters[kind]}"
        out.append(norm[pos:s])
        out.append(f"[{label}]")
        reds.append(Redaction(kind, s, e, label))
        pos = e
    out.append(norm[pos:])
    return ScrubResult("".join(out), tuple(reds), norm)


def looks_identifying(text: str) -> bool:
    """True if scrub() would redact anything."""
    return bool(scrub(text).redactions)
