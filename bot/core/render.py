"""The one template environment: everything a person reads is rendered from prompts/.

A single `ImmutableSandboxedEnvironment` with `StrictUndefined` serves the product's own
templates and, later, supervisor-authored ones, so there is exactly one place where
template safety is decided. Autoescape is off (Discord is not HTML); values are made
safe for the target through `finalize`, chosen per render with a context variable.

Speed without weakening the sandbox: its attribute check depends only on the object's type and
the attribute's name, so the verdict is remembered per (type, name); and an output made only of
content (a question, the source passages, a summary: no words a person wrote) is rendered once
per target and reused (`render_output`). Anything carrying a person's words is rendered afresh
every time and never kept.
"""
from __future__ import annotations

import contextvars
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.paths import PROMPTS_DIR

_TARGET: contextvars.ContextVar[str] = contextvars.ContextVar("render_target", default="plain")

_MD_SPECIAL = re.compile(r"[\\*_~`|>\[\]()#-]")
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")
# a character either of the two could act on (_MD_SPECIAL's, plus the "@" and "<" a mention starts with)
_NEEDS_ESCAPE = re.compile(r"[\\*_~`|>\[\]()#@<-]")


def escape_discord(value: str) -> str:
    """Make a value inert in Discord: no markdown, no @everyone/@here, no <@id> mentions."""
    if _NEEDS_ESCAPE.search(value) is None:  # most values: nothing to do, one C-level scan
        return value
    if "@" in value or "<" in value:
        value = _MENTION.sub(lambda m: "@\u200b" + m.group(1) if m.group(1) else "<\u200b" + m.group(2) + m.group(3) + ">",
                             value)
    return _MD_SPECIAL.sub(_backslashed, value)


def _backslashed(m: re.Match[str]) -> str:  # a function is cheaper per match than a "\\\1" template
    return "\\" + m.group()


def _finalize(value: Any) -> Any:
    t = type(value)
    if t is str:  # the common case first: one type check, one context-variable read
        return escape_discord(value) if _TARGET.get() == "discord" else value
    if value is None:
        return ""
    if isinstance(value, Safe):
        return str(value)
    if isinstance(value, str) and _TARGET.get() == "discord":
        return escape_discord(value)
    return value


class Safe(str):
    """Text that is already formatted for its target (for example a rendered passage)."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with its per-access attribute verdict remembered per (type, name).

    jinja2 decides `is_safe_attribute(obj, attr, value)` from isinstance checks on `obj` and the
    name alone (never the value), so the verdict for a type and a name never changes. The memo is
    bounded: template source names the attributes, so a hostile template cannot grow it."""

    _MEMO_LIMIT = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = super().is_safe_attribute(obj, attr, value)
            if len(self._verdicts) < self._MEMO_LIMIT:
                self._verdicts[key] = verdict
        return verdict


_ENV: ImmutableSandboxedEnvironment | None = None


def environment(prompts_dir: Path | None = None) -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment (templates are compiled once and cached)."""
    global _ENV
    if _ENV is None or prompts_dir is not None:
        env = _Sandbox(
            loader=FileSystemLoader(str(prompts_dir or PROMPTS_DIR)),
            undefined=StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
            cache_size=400,
        )
        if prompts_dir is not None:
            return env
        _ENV = env
    return _ENV


def render(name: str, target: str = "plain", **context: Any) -> str:
    """Render prompts/<name> for a target ("plain" for the terminal, "discord"). An output nested
    in the context as a `block` (the `Sources` inside `Passages`) is rendered first, through the cache when
    it is content only, and inserted as ready-made text."""
    for key, value in context.items():
        if getattr(value, "block", False):
            context[key] = Safe(render_output(value, target))
    token = _TARGET.set(target)
    try:
        return environment().get_template(name).render(**context).strip("\n")
    finally:
        _TARGET.reset(token)


def render_output(output: Any, target: str = "plain") -> str:
    """Render a flow output (anything with `template` and `context()`) for a target.

    An output whose type says `cacheable` holds content only and is rendered once per target."""
    if getattr(output, "cacheable", False):
        return _render_cached(output, target)
    return render(output.template, target=target, **output.context())


@lru_cache(maxsize=2048)
def _render_cached(output: Any, target: str) -> str:
    return render(output.template, target=target, **output.context())


def renderer(target: str) -> Callable[..., str]:
    return lambda name, **ctx: render(name, target=target, **ctx)


def render_split(name: str, target: str = "discord", limit: int | None = None, **context: Any) -> list[str]:
    """Render a template and split it to a Discord limit (default: one message, 2,000 characters)
    at paragraph, line, sentence or word boundaries, never inside a citation marker."""
    from bot.core.split import MESSAGE, split_text

    return split_text(render(name, target=target, **context), limit or MESSAGE)
