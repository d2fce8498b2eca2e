"""Splitting rendered text to Discord's limits without cutting a word or a citation marker.

Boundaries are tried from the gentlest to the harshest: paragraph, line, sentence, word. A
sentence ends after . ! ? (and any closing quote) together with the citation markers that follow
it ("...rigidity. [6]"), so a marker never starts the next message; a word boundary never sits
just before a marker. Only a single "word" longer than the limit is cut by characters.
"""
from __future__ import annotations

import re

MESSAGE = 2000  # characters in one message
EMBED_DESCRIPTION = 4096
EMBED_FIELD = 1024

_MARKER = r"\\?\[[^\]\s]{1,12}?\\?\]"
_LEVELS = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraph
    re.compile(r"\n\s*"),  # line
    re.compile(r"[.!?\u2026][\"'\u201d\u2019)]*(?:\s*" + _MARKER + r")*\s+"),  # sentence
    re.compile(r"\s+(?!" + _MARKER + r")"),  # word (never right before a marker)
    re.compile(r"\s+"),  # any space, when a word and its markers alone exceed the limit
)


def _pieces(text: str, boundary: re.Pattern[str]) -> list[str]:
    out, pos = [], 0
    for m in boundary.finditer(text):
        if m.end() > pos and m.end() < len(text):
            out.append(text[pos:m.end()])
            pos = m.end()
    out.append(text[pos:])
    return out


def _split(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_LEVELS):
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, _LEVELS[level]):
        if len((current + piece).rstrip()) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current.rstrip())
        current = ""
        if len(piece.rstrip()) > limit:
            parts = _split(piece.strip(), limit, level + 1)
            chunks.extend(parts[:-1])
            current = parts[-1] + piece[len(piece.rstrip()):]
        else:
            current = piece
    if current.strip():
        chunks.append(current.rstrip())
    return chunks


def split_text(text: str, limit: int = MESSAGE) -> list[str]:
    """Chunks of at most `limit` characters, in order; joining them loses only boundary whitespace."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if not text:
        return []
    return [c.strip() for c in _split(text, limit, 0) if c.strip()]
