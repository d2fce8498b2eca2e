"""Splitting rendered text to Discord's limits, and the one template environment."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from bot.core import render as render_mod
from bot.core.split import EMBED_DESCRIPTION, EMBED_FIELD, MESSAGE, split_text

MARKER = re.compile(r"\[(?:\d|uncited)\]")


def test_short_text_is_one_chunk():
    assert split_text("Hello. [1]") == ["Hello. [1]"]
    assert split_text("   ") == []


def test_paragraph_boundary_preferred():
    a, b = "A" * 10 + " first paragraph. [1]", "Second paragraph here. [uncited]"
    assert split_text(a + "\n\n" + b, len(a) + 5) == [a, b]


def test_line_then_sentence_then_word():
    lines = "line one is here\nline two is here"
    assert split_text(lines, 20) == ["line one is here", "line two is here"]
    sentences = "First sentence ends here. [6] Second sentence. [2]"
    assert split_text(sentences, 32) == ["First sentence ends here. [6]", "Second sentence. [2]"]
    words = "alpha beta gamma delta"
    assert split_text(words, 11) == ["alpha beta", "gamma delta"]


def test_marker_stays_with_its_word():
    text = "aaaa bbbb [uncited] cccc"
    chunks = split_text(text, 19)
    assert "bbbb [uncited]" in chunks[0] or chunks[1].startswith("bbbb [uncited]")
    assert all(not c.startswith("[") for c in chunks)


def test_long_word_hard_split_last_resort():
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_discord_limits_constants():
    assert (MESSAGE, EMBED_DESCRIPTION, EMBED_FIELD) == (2000, 4096, 1024)


def test_render_split_uses_the_one_environment():
    env = render_mod.environment()
    chunks = render_mod.render_split("topics/explain.j2", topics=[], references={})
    assert chunks and all(len(c) <= MESSAGE for c in chunks)
    assert render_mod.environment() is env


words = st.one_of(
    st.text(alphabet="abcdefghij", min_size=1, max_size=12),
    st.sampled_from(["[1]", "[2]", "[6]", "[uncited]", "end.", "stop!", "why?"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(words, st.sampled_from([" ", " ", " ", "\n", "\n\n"])), min_size=1, max_size=120),
       st.integers(min_value=12, max_value=90))
def test_split_properties(parts, limit):
    text = "".join(w + sep for w, sep in parts).strip()
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    # nothing lost or reordered (whitespace at the cuts aside)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    # a marker is never cut, and never starts a chunk unless it had nothing before it
    assert sum(len(MARKER.findall(c)) for c in chunks) == len(MARKER.findall(text))
    for c in chunks[1:]:
        assert not MARKER.match(c) or len(c.split()[0]) > 0
