"""Logging set-up with a last line of defence for privacy.

Our own log calls never include message text or raw ids; this filter also rewrites anything
that looks like a Discord id (a 15-21 digit number) or a bot token in records from any library,
so a stray id in discord.py's own log lines never reaches a log file.
"""
from __future__ import annotations

import logging
import os
import re

_SNOWFLAKE = re.compile(r"(?<!\d)\d{15,21}(?!\d)")
_PAYLOAD_LOGGERS = ("discord.gateway", "discord.http", "discord.webhook.async_", "discord.state")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,30}\.[A-Za-z0-9_-]{5,7}\.[A-Za-z0-9_-]{25,45}")


def redact(text: str) -> str:
    return _TOKEN.sub("[token]", _SNOWFLAKE.sub("[id]", text))


class PrivacyFilter(logging.Filter):
    """Renders the record's message once, redacted, so args can't smuggle ids or tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        # discord.py's DEBUG lines dump whole gateway events and HTTP bodies: message text,
        # modal answers and interaction tokens. Never let them through, whatever the level.
        if record.levelno < logging.INFO and record.name in _PAYLOAD_LOGGERS:
            return False
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not crash logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup_logging(level: str | None = None) -> None:
    level = (level or os.environ.get("BOT_LOG_LEVEL") or "INFO").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level, logging.INFO))
