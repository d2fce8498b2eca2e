"""Hardening fixtures: a session-wide log capture and the texts it must never contain.

Every log record emitted while a hardening test runs goes through the product's own handler-level
filter (bot.logs.PrivacyFilter, what `setup_logging` installs on the real log handler) into one
in-memory list, at DEBUG for every logger. When the session ends, the captured lines are scanned
for: any text a test registered as private (`private(...)`: answers, modal text, case notes), any
raw Discord snowflake the tests used (`private_id(...)`), and every secret key a test generated.
"""
from __future__ import annotations

import logging
import re

import pytest

from bot.logs import PrivacyFilter

PRIVATE_TEXTS: set[str] = set()
PRIVATE_IDS: set[str] = set()
SECRETS: set[str] = set()
_SNOWFLAKE = re.compile(r"(?<!\d)\d{17,20}(?!\d)")


def private(*texts: str) -> None:
    """Register what a person wrote: it must never appear in any log line of the suite."""
    for t in texts:
        t = t.strip()
        if len(t) >= 12:  # short strings ("ok", "yes") could appear by chance
            PRIVATE_TEXTS.add(t[:60])


def private_id(*ids: int | str) -> None:
    PRIVATE_IDS.update(str(i) for i in ids)


def secret(*values: str) -> None:
    SECRETS.update(v for v in values if v)


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(PrivacyFilter())
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - a broken record is itself worth seeing
            line = f"UNFORMATTABLE {record.name} {record.msg!r}"
        self.lines.append(line)

    def problems(self) -> list[str]:
        found = []
        for line in self.lines:
            for t in PRIVATE_TEXTS:
                if t in line:
                    found.append(f"private text {t[:30]!r} in log: {line[:200]!r}")
            for s in SECRETS:
                if s in line:
                    found.append(f"secret key in log: {line[:80]!r}")
            for i in PRIVATE_IDS:
                if i in line:
                    found.append(f"raw id {i} in log: {line[:200]!r}")
            m = _SNOWFLAKE.search(line)
            if m:
                found.append(f"snowflake-like number in log: {line[:200]!r}")
        return found


CAPTURE = LogCapture()


@pytest.fixture(scope="session", autouse=True)
def hardening_log_capture():
    """DEBUG capture for the whole hardening run; fails the session if any log line leaks."""
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(CAPTURE)
    root.setLevel(logging.DEBUG)
    try:
        yield CAPTURE
    finally:
        root.removeHandler(CAPTURE)
        root.setLevel(old_level)
    problems = CAPTURE.problems()
    assert not problems, "logs leaked private data:\n" + "\n".join(problems[:20])


@pytest.fixture
def log_capture(hardening_log_capture):
    return hardening_log_capture
