"""The fast paths of the structured pass (rules sharing one expression, re.ASCII twins, the digit
mask, anchor shortcuts) give exactly the candidates of running every rule on its own, the slow way."""
from __future__ import annotations

import random
import re

from bot.core import privacy as P


def _slow_structured(text: str, d) -> list[tuple[int, int, str, str]]:
    cands = []
    feats: dict = {}
    low = text.lower()
    for rule in d.rules:
        if rule.gate and not any(g in low for g in rule.gate):
            continue
        spans = [(0, len(text))] if rule.anchor is None else P._windows(text, d.anchors[rule.anchor])
        for lo, hi in spans:
            if rule.need and not all(P._has(text, lo, hi, chars, feats) for chars in rule.need):
                continue
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
                cands.append((s - e, rule.priority, s, rule.kind, e))
    if d.inst_rx is not None:
        cands += [(s - e, p, s, k, e) for s, e, p, k, _v in P._places(text, d)]
    cands.sort()
    covered = bytearray(len(text))
    chosen = []
    for _n, _p, s, kind, e in cands:
        if covered.find(1, s, e) != -1:
            continue
        covered[s:e] = b"\x01" * (e - s)
        chosen.append((s, e, kind, text[s:e]))
    return sorted(chosen)


ATOMS = ["0", "1", "9", "12", "123", "07700", "900123", "2024", "1987", "@", ".", "-", "/", ":", "+", "(", ")", "#",
         " ", " ", "\n", "\x1c", "Maria", "Smith", "J.", "A.B.", "dot", "at", "com", "co.uk", "www.", "https://",
         "March", "May", "on", "born", "dob", "aged", "turned", "mrn", "NHS", "ID", "client", "she is", "Street", "Road",
         "Apt", "P.O. Box", "zip", "SW1A 1AA", "AB12 CDE", "QQ123456A", "y/o", "years old", "ninety", "x1", "é", "٣", "١٢",
         "the 14th", "12/25", "3 Mar. 1987", "<@1>", "a#1234", "192.168.0.1", "::1", "123-45-6789", "943 476 5919",
         "+44 20 7946 0958", "(555) 123-4567", "4111 1111 1111 1111", "90210", "12 Hill Road", "jo.smith@example.org"]


def test_fast_structured_pass_equals_each_rule_on_its_own() -> None:
    d = P._data()
    rnd = random.Random(8)
    texts = ["".join(rnd.choice(ATOMS) + rnd.choice(["", " ", " ", ", "]) for _ in range(rnd.randint(1, 80)))
             for _ in range(600)]
    for text in texts:
        text = P.normalise(text)
        assert sorted(P._structured(text, d)) == _slow_structured(text, d), text


def test_ascii_twins_only_where_they_agree() -> None:
    # `\s` matches the information separators only in Unicode mode: such text takes the Unicode patterns
    assert re.fullmatch(r"\s", "\x1c") and not re.fullmatch(r"\s", "\x1c", re.ASCII)
    assert not P._ascii_ok("a\x1cb") and P._ascii_ok("plain text 123") and not P._ascii_ok("café")
    out = P.scrub("born\x1c14 March 2024 and 14\x1cMarch 2024").text
    assert "2024" not in out


NAME_ATOMS = ["Maria", "maria", "MARIA", "Smith", "smith", "Baker", "baker", "O'Brien", "o'brien", "'s", "'t", "don't", "I", "I'm",
              "A", "a", "c", "C", "Dr", "Dr.", "dr", "mr", "Mrs", "J.", "j.k.", "met with", "my client", "her son", "her friend",
              "supervisee", "said", "asked", "told", "and", "her aunt", "oluwaseun", "priya", "Priya", "Raman", "van", "de", "Will",
              "will", "May", "June", "Grace", "hope", "Daniel J. Siegel", "Dan Siegel", "window of tolerance", "Today", "The",
              "St", "Mary's", "Hospital", "o'clock", "rock'n'roll", "a'a", "Jean-Luc", "Smith-Jones", "iPhone", "McDonald",
              "c'est", "faith", "us", "US", "07700 900123", "jo@x.com", "14/03/1987", "-", ".", ",", ";", "(", ")", "\"", "'", "\n"]


def test_name_pass_linear_on_joined_tokens() -> None:
    # one 100,000-character token of apostrophe-joined runs (once quadratic in a faster name pass)
    import time

    text = ("a'aa'" * 20_000)[:100_000]
    t0 = time.perf_counter()
    P.scrub(text)
    assert time.perf_counter() - t0 < 2.0


def test_spelled_email_starts_equal_finditer() -> None:
    d = P._data()
    regex = d.rules_ascii[2]
    assert d.rules[2].kind == "EMAIL" and d.rules[2].anchor == "dottld"
    rnd = random.Random(10)
    atoms = ["jo", "smith", ".", "@", " @ ", " at ", "AT", "[at]", "( at )", "<at>", "example", "com", "org", "co.uk", "x", "_",
             "%", "+", "-", " ", "  ", "\n", "a" * 70, "b.c.d.e.f", "jo.smith", "at", "@@", "(", "]", "1", "cat", "net", ".io"]
    found = 0
    for _ in range(4000):
        text = "".join(rnd.choice(atoms) + rnd.choice(["", "", " ", "."]) for _ in range(rnd.randint(1, 40)))
        lo = rnd.randint(0, len(text) // 3)
        hi = rnd.randint(lo, len(text))
        want = [m.span() for m in regex.finditer(text, lo, hi)]
        found += bool(want)
        assert P._spelled_email_spans(text, regex, lo, hi) == want, (text, lo, hi)
    assert found > 20


def test_long_digit_windows_run_members_one_by_one_with_same_candidates() -> None:
    # windows over 2,000 characters where few members' needs hold run those members one by one
    d = P._data()
    rnd = random.Random(11)
    digitish = ["1", "12", "123", "07700", "900123", "2024", " ", " ", "  ", "-", "(", ")", "+", "+44", "0", "9", "99", "110",
                "4111 1111 1111 1111", "943 476 5919", "123-45-6789", "\n", ",", "1 1 1 1 1 1 1 1 1 1 1 1 1"]
    texts = ["1 " * 1500, "9" * 3000, "(1) " * 800, "+1 " * 1000]
    texts += ["".join(rnd.choice(digitish) for _ in range(rnd.randint(600, 1500))) for _ in range(30)]
    texts += [t + " Maria born 3 March 2024 at 12 Hill Road" for t in texts[:6]]
    for text in texts:
        assert sorted(P._structured(text, d)) == _slow_structured(text, d), text[:80]
