"""The one template environment: everything a person reads is rendered from prompts/.

A single `ImmutableSandboxedEnvironment` with `StrictUndefined` serves the product's own
templates and, later, supervisor-authored ones, so there is exactly one place where
template safety is decided. Autoescape is off (Discord is not HTML); values are made
safe for the target through `finalize`, chosen per render with a context variable.
"""
from __future__ import annotations

import contextvars
import re
from pathlib import Path
from typing import Any, Callable

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.paths import PROMPTS_DIR

_TARGET: contextvars.ContextVar[str] = contextvars.ContextVar("render_target", default="plain")

_MD_SPECIAL = re.compile(r"([\\*_~`|>\[\]()#-])")
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")


def escape_discord(value: str) -> str:
    """Make a value inert in Discord: no markdown, no @everyone/@here, no <@id> mentions."""
    value = _MENTION.sub(lambda m: "@\u200b" + m.group(1) if m.group(1) else "<\u200b" + m.group(2) + m.group(3) + ">", value)
    return _MD_SPECIAL.sub(r"\\\1", value)


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Safe):
        return str(value)
    if isinstance(value, str) and _TARGET.get() == "discord":
        return escape_discord(value)
    return value


class Safe(str):
    """Text that is already formatted for its target (for example a rendered passage)."""


_ENV: ImmutableSandboxedEnvironment | None = None


def environment(prompts_dir: Path | None = None) -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment (templates are compiled once and cached)."""
    global _ENV
    if _ENV is None or prompts_dir is not None:
        env = ImmutableSandboxedEnvironment(
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
    """Render prompts/<name> for a target ("plain" for the terminal, "discord")."""
    token = _TARGET.set(target)
    try:
        return environment().get_template(name).render(**context).strip("\n")
    finally:
        _TARGET.reset(token)


def renderer(target: str) -> Callable[..., str]:
    return lambda name, **ctx: render(name, target=target, **ctx)


def render_split(name: str, target: str = "discord", limit: int | None = None, **context: Any) -> list[str]:
    """Render a template and split it to a Discord limit (default: one message, 2,000 characters)
    at paragraph, line, sentence or word boundaries, never inside a citation marker."""
    from bot.core.split import MESSAGE, split_text

    return split_text(render(name, target=target, **context), limit or MESSAGE)
