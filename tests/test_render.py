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


# ------------------------------------------------------------------ reused renderings, the sandbox memo


def _answered(text: str):  # the outputs of a first answer
    from bot.core.flow import Event, flow_for

    flow = flow_for()
    st_, _ = flow.start(case="A.B.")
    st_, _ = flow.step(st_, Event("consent", "A.B."))
    return flow.step(st_, Event("answer", text))[1]


def test_outputs_holding_a_persons_words_are_never_kept_for_reuse(monkeypatch):
    """Only content-only outputs are reused: what a person wrote (their cue words in the
    passages' "What I noticed", their answers in the preview) is rendered afresh and not kept."""
    from bot.core.flow import Event, Passages, Preview, flow_for

    kept: list[str] = []
    real = render_mod._render_cached

    def recording(output, target):
        kept.append(repr(output))  # everything the cache would hold as a key
        return real(output, target)

    monkeypatch.setattr(render_mod, "_render_cached", recording)
    flow = flow_for()
    st_, _ = flow.start(case="A.B.")
    st_, _ = flow.step(st_, Event("consent", "A.B."))
    shown = []
    for answer in ("She was flooded and overwhelmed, then totally shut down with Ms Quillfeather.",
                   "Her culture and family norms matter; I noticed my bias. Call 07700 900461.",
                   "Rigid, stuck and numb.", "Overwhelmed again.", "Quillfeather felt chaotic.", "Frozen."):
        st_, outs = flow.step(st_, Event("answer", answer))
        shown += outs
    assert any(isinstance(o, Preview) for o in shown)
    texts = [render_mod.render_output(o, "discord") for o in shown if o.template]
    passages = next(o for o in shown if isinstance(o, Passages))
    assert '"flooded"' in render_mod.render_output(passages, "discord")
    assert any("From the source:" in t for t in texts) and any("Summary of your reflection" in t for t in texts)
    assert kept, "content-only outputs (questions, sources, summary) go through the cache"
    joined = " ".join(kept)
    for words in ("flooded", "overwhelmed", "Quillfeather", "07700"):  # none of these is in the content
        assert words not in joined
    assert not Passages.cacheable and not Preview.cacheable


def test_reused_rendering_equals_a_fresh_one_for_each_target():
    outs = _answered("Everything felt chaotic and then rigid; I wondered about her culture and family norms.")
    for target in ("plain", "discord"):
        for o in outs:
            first = render_mod.render_output(o, target)
            again = render_mod.render_output(o, target)
            fresh = render_mod.render(o.template, target=target, **o.context())
            assert first == again == fresh
    sources = render_mod.render_output(next(o for o in outs if type(o).__name__ == "Passages"), "discord")
    assert "From the source:" in sources and "\\-" not in render_mod.render_output(outs[0], "plain")


def test_sandbox_verdicts_stay_the_same_when_remembered():
    """The remembered attribute verdicts refuse the same things on every render, not only the first."""
    from jinja2.exceptions import SecurityError

    env = render_mod.environment()
    for _ in range(3):
        for src, ctx in (("{{ xs.append(1) }}", {"xs": [1]}), ("{{ d.clear() }}", {"d": {"a": 1}}),
                         ("{{ f.__globals__ }}", {"f": test_sandbox_verdicts_stay_the_same_when_remembered}),
                         ("{{ s.__class__ }}", {"s": "x"})):
            try:
                out = env.from_string(src).render(**ctx)
            except SecurityError:
                continue
            except Exception as exc:  # StrictUndefined: an unsafe attribute is undefined, never returned
                assert "unsafe" in str(exc) or "undefined" in str(exc).lower(), exc
                continue
            raise AssertionError(f"{src} rendered {out!r}")
    assert env.from_string("{{ xs.index(2) }}").render(xs=[1, 2]) == "1"
