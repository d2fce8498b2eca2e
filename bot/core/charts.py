"""Small PNG charts for the digest and a member's own stats (matplotlib, Agg, no pyplot).

Uses the object-oriented API (`Figure` + `FigureCanvasAgg`), which keeps no global state and
so is safe from the bot's worker threads. All text (titles, axis labels, the "no data yet"
line) is passed in by the caller, rendered from prompts/, never written here. The look is
deliberately gentle: calm colours with no red, no streaks, no comparison with anyone else.

Counts: an `int` is drawn; `None` (a count suppressed for anonymity) is drawn as a gap,
never as zero; a topic missing from a week's mapping did not come up that week (zero).
"""
from __future__ import annotations

import io
import math
from typing import Any, Mapping

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

SIZE_IN = (8.0, 4.0)
DPI = 100  # 800 x 400 pixels
# Calm, colour-blind-friendly, and no red (red reads as failure).
PALETTE = ("#4C72B0", "#55A868", "#8172B2", "#64B5CD", "#CCB974", "#2A9D8F", "#8C8C8C", "#937860")
LINESTYLES = ("-", "--", ":", "-.")
TEXT = "#333333"
MUTED = "#777777"


def _plain(text: str) -> str:
    """Literal text: a '$' must not switch matplotlib into mathtext."""
    return str(text).replace("$", r"\$")


def _count(value: Any) -> float:
    """int -> float; None or a suppressed CountOrSuppressed -> NaN (a gap in the line)."""
    value = getattr(value, "value", value)
    return math.nan if value is None else float(value)


def series_arrays(series: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], dict[str, list[float]]]:
    """Weeks in order and, per topic, one value per week (NaN = suppressed, 0 = did not come up)."""
    weeks = sorted(series)
    topics = sorted({t for w in weeks for t in series[w]})
    return weeks, {t: [_count(series[w][t]) if t in series[w] else 0.0 for w in weeks] for t in topics}


def _figure() -> Figure:
    fig = Figure(figsize=SIZE_IN, dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def _empty(fig: Figure, title: str, empty_text: str) -> bytes:
    fig.suptitle(_plain(title), color=TEXT, fontsize=12)
    fig.text(0.5, 0.5, _plain(empty_text), ha="center", va="center", fontsize=13, color=MUTED, wrap=True)
    return _png(fig)


def _style(ax: Any, weeks: list[str]) -> None:
    ax.set_xticks(range(len(weeks)))
    ax.set_xticklabels(weeks, rotation=45 if len(weeks) > 6 else 0, ha="right" if len(weeks) > 6 else "center",
                       fontsize=8, color=TEXT)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.tick_params(colors=TEXT, labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)


def topics_over_weeks(series: Mapping[str, Mapping[str, Any]], title: str, *, empty_text: str,
                      y_label: str = "") -> bytes:
    """A line per topic across weeks (week key -> topic -> count or None); PNG bytes, 800x400."""
    fig = _figure()
    weeks, lines = series_arrays(series)
    if not weeks or all(math.isnan(v) or v == 0 for vals in lines.values() for v in vals):
        return _empty(fig, title, empty_text)
    ax = fig.add_subplot(1, 1, 1)
    for i, (topic, values) in enumerate(lines.items()):
        ax.plot(range(len(weeks)), values, marker="o", markersize=4, linewidth=1.8,
                color=PALETTE[i % len(PALETTE)], linestyle=LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)],
                label=_plain(topic))
    _style(ax, weeks)
    ax.set_title(_plain(title), color=TEXT, fontsize=12)
    if y_label:
        ax.set_ylabel(_plain(y_label), color=TEXT, fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.subplots_adjust(left=0.07, right=0.78, bottom=0.2 if len(weeks) > 6 else 0.12, top=0.88)
    return _png(fig)


def personal_stats(per_week: Mapping[str, int], topics_over_time: Mapping[str, Mapping[str, Any]], *,
                   title: str, reflections_label: str, topics_label: str, empty_text: str) -> bytes:
    """A member's own reflections per week and the topics they touched; PNG bytes, 800x400.

    Only their own data, only counts: no streaks, targets, rankings or comparisons.
    """
    fig = _figure()
    weeks = sorted(set(per_week) | set(topics_over_time))
    if not weeks or not (any(per_week.values()) or any(any(_count(v) for v in t.values()) for t in topics_over_time.values())):
        return _empty(fig, title, empty_text)
    fig.suptitle(_plain(title), color=TEXT, fontsize=12)

    left = fig.add_subplot(1, 2, 1)
    left.bar(range(len(weeks)), [per_week.get(w, 0) for w in weeks], color=PALETTE[0], width=0.6)
    _style(left, weeks)
    left.set_title(_plain(reflections_label), color=TEXT, fontsize=10)

    right = fig.add_subplot(1, 2, 2)
    _, lines = series_arrays({w: topics_over_time.get(w, {}) for w in weeks})
    bottom = [0.0] * len(weeks)
    for i, (topic, values) in enumerate(lines.items()):
        heights = [0.0 if math.isnan(v) else v for v in values]
        right.bar(range(len(weeks)), heights, bottom=bottom, width=0.6, label=_plain(topic),
                  color=PALETTE[(i + 1) % len(PALETTE)])
        bottom = [b + h for b, h in zip(bottom, heights)]
    _style(right, weeks)
    right.set_title(_plain(topics_label), color=TEXT, fontsize=10)
    if lines:
        right.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.subplots_adjust(left=0.06, right=0.8, wspace=0.3, bottom=0.2 if len(weeks) > 6 else 0.12, top=0.82)
    return _png(fig)
