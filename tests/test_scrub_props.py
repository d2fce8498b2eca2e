"""Property tests: generated identifiers inside random surrounding text never survive."""
from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.privacy import scrub

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# surrounding text: letters, spaces and punctuation (no digits, so digit checks are exact)
filler = st.text(alphabet=string.ascii_letters + " ,;!?()'\"-\n", max_size=40)
left = filler.map(lambda s: s + " ")
right = filler.map(lambda s: " " + s)


def luhn_complete(prefix: str) -> str:
    digits = [int(c) for c in prefix]
    for check in range(10):
        full = digits + [check]
        total = 0
        for i, n in enumerate(reversed(full)):
            if i % 2:
                n *= 2
                if n > 9:
                    n -= 9
            total += n
        if total % 10 == 0:
            return prefix + str(check)
    raise AssertionError


@st.composite
def emails(draw):
    local = draw(st.from_regex(r"[a-z][a-z0-9]{2,10}(\.[a-z][a-z0-9]{1,8})?", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z][a-z0-9]{2,12}", fullmatch=True))
    tld = draw(st.sampled_from(["com", "org", "net", "co.uk", "edu", "io"]))
    style = draw(st.integers(0, 2))
    if style == 0:
        return f"{local}@{domain}.{tld}", local
    if style == 1:
        spoken = local.replace(".", " dot ")
        return f"{spoken} at {domain} dot {tld.replace('.', ' dot ')}", local.split(".")[0]
    return f"{local} [at] {domain} [dot] {tld.replace('.', ' [dot] ')}", local


@st.composite
def us_phones(draw):
    area = draw(st.integers(201, 989))
    ex = draw(st.integers(200, 999))
    line = draw(st.integers(0, 9999))
    fmt = draw(st.sampled_from(["({a}) {e}-{l:04d}", "{a}-{e}-{l:04d}", "{a}.{e}.{l:04d}", "+1 {a} {e} {l:04d}", "{a} {e} {l:04d}"]))
    return fmt.format(a=area, e=ex, l=line)


@st.composite
def uk_phones(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return "07{:03d} {:06d}".format(draw(st.integers(100, 999)), draw(st.integers(0, 999999)))
    if kind == 1:
        return "020 {:04d} {:04d}".format(draw(st.integers(1000, 9999)), draw(st.integers(0, 9999)))
    if kind == 2:
        return "+44 20 {:04d} {:04d}".format(draw(st.integers(1000, 9999)), draw(st.integers(0, 9999)))
    return "+44 7{:03d} {:06d}".format(draw(st.integers(100, 999)), draw(st.integers(0, 999999)))


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


@st.composite
def dates(draw):
    y = draw(st.integers(1920, 2030))
    m = draw(st.integers(1, 12))
    d = draw(st.integers(1, 28))
    name = MONTHS[m - 1]
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(d, "th")
    fmt = draw(st.integers(0, 6))
    return [
        f"{d}{suffix} {name} {y}",
        f"{name} {d}, {y}",
        f"{y:04d}-{m:02d}-{d:02d}",
        f"{d:02d}/{m:02d}/{y % 100:02d}",
        f"{d} {name[:3]} {y % 100:02d}",
        f"{m}/{d}/{y}",
        f"{d}.{m}.{y}",
    ][fmt]


@st.composite
def cards(draw):
    first = draw(st.sampled_from(["4", "51", "52", "55", "37", "6011"]))
    length = 15 if first == "37" else 16
    body = first + "".join(draw(st.lists(st.sampled_from(string.digits), min_size=length - len(first) - 1,
                                         max_size=length - len(first) - 1)))
    number = luhn_complete(body)
    sep = draw(st.sampled_from(["", " ", "-"]))
    groups = [number[i:i + 4] for i in range(0, len(number), 4)]
    return sep.join(groups)


@st.composite
def ssns(draw):
    return "{:03d}-{:02d}-{:04d}".format(draw(st.integers(1, 899)), draw(st.integers(1, 99)), draw(st.integers(1, 9999)))


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _assert_digits_gone(value: str, out: str) -> None:
    assert _digits(value) not in _digits(out), (value, out)


@SETTINGS
@given(left, emails(), right)
def test_emails_never_survive(pre, email, post):
    value, local = email
    out = scrub(pre + value + post).text
    assert local not in out.lower(), (value, out)


@SETTINGS
@given(left, us_phones(), right)
def test_us_phones_never_survive(pre, phone, post):
    _assert_digits_gone(phone, scrub(pre + phone + post).text)


@SETTINGS
@given(left, uk_phones(), right)
def test_uk_phones_never_survive(pre, phone, post):
    _assert_digits_gone(phone, scrub(pre + phone + post).text)


@SETTINGS
@given(left, dates(), right)
def test_dates_never_survive(pre, date, post):
    out = scrub(pre + date + post).text
    # the day/month digits and the full value are gone (a bare year may remain only if it was the whole date)
    assert date not in out, (date, out)
    _assert_digits_gone(date, out)


@SETTINGS
@given(left, cards(), right)
def test_cards_never_survive(pre, card, post):
    _assert_digits_gone(card, scrub(pre + card + post).text)


@SETTINGS
@given(left, ssns(), right)
def test_ssns_never_survive(pre, ssn, post):
    _assert_digits_gone(ssn, scrub(pre + ssn + post).text)


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_is_handled_and_offsets_valid(text):
    r = scrub(text)
    last = 0
    for x in r.redactions:
        assert last <= x.start < x.end <= len(r.normalised)
        last = x.end
