"""PNG charts: valid PNGs of the right size, a friendly empty chart, suppressed = gap, no red."""
from __future__ import annotations

import io
import math
import struct
import threading

from PIL import Image

from bot.core.charts import personal_stats, series_arrays, topics_over_weeks
from bot.core.digest import EntryFacts, build_digest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SERIES = {
    "2026-W46": {"grief": 3, "shame": None, "chaos": 4},
    "2026-W47": {"grief": 5, "shame": 3},
    "2026-W48": {"grief": None, "shame": 4, "chaos": 3},
}


def size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_MAGIC
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def reddish_pixels(png: bytes) -> int:
    img = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for r, g, b in img.getdata() if r > 170 and g < 110 and b < 110)


def test_topics_chart_is_a_png_of_800_by_400():
    png = topics_over_weeks(SERIES, "Themes over the weeks", empty_text="No data yet", y_label="Reflections")
    assert png.startswith(PNG_MAGIC)
    assert size(png) == (800, 400)
    Image.open(io.BytesIO(png)).verify()
    assert reddish_pixels(png) == 0


def test_suppressed_counts_are_gaps_not_zero():
    weeks, lines = series_arrays(SERIES)
    assert weeks == ["2026-W46", "2026-W47", "2026-W48"]
    assert math.isnan(lines["shame"][0]) and lines["shame"][1:] == [3.0, 4.0]
    assert math.isnan(lines["grief"][2])
    assert lines["chaos"][1] == 0.0  # did not come up that week


def test_digest_series_feeds_the_chart():
    d = build_digest("2026-W48", [EntryFacts(f"p{i}", ["grief"] + (["shame"] if i < 2 else [])) for i in range(4)])
    weeks, lines = series_arrays({d.week: d.topic_series()})
    assert lines["grief"] == [4.0] and math.isnan(lines["shame"][0])
    assert size(topics_over_weeks({d.week: d.topic_series()}, "t", empty_text="e")) == (800, 400)


def test_empty_series_gives_a_friendly_chart():
    for series in ({}, {"2026-W48": {}}, {"2026-W48": {"grief": None}}):
        png = topics_over_weeks(series, "Themes", empty_text="No reflections yet: the chart fills in as the group writes.")
        assert size(png) == (800, 400)
        Image.open(io.BytesIO(png)).verify()


def test_many_weeks_and_topics_and_dollar_signs():
    series = {f"2026-W{w:02d}": {f"topic ${i}": (w + i) % 5 for i in range(12)} for w in range(1, 27)}
    png = topics_over_weeks(series, "Cost $5 $ title", empty_text="none")
    assert size(png) == (800, 400)


def test_personal_stats():
    png = personal_stats(
        {"2026-W46": 1, "2026-W47": 0, "2026-W48": 2},
        {"2026-W46": {"grief": 1}, "2026-W48": {"grief": 1, "chaos": 1}},
        title="Your reflections", reflections_label="Reflections each week", topics_label="Themes you touched",
        empty_text="Nothing yet",
    )
    assert size(png) == (800, 400)
    assert reddish_pixels(png) == 0


def test_personal_stats_empty():
    png = personal_stats({}, {}, title="Your reflections", reflections_label="r", topics_label="t",
                         empty_text="No reflections yet. Whenever you are ready.")
    assert size(png) == (800, 400)
    png = personal_stats({"2026-W48": 0}, {}, title="t", reflections_label="r", topics_label="t", empty_text="e")
    assert size(png) == (800, 400)


def test_charts_can_be_drawn_from_threads():
    out: list[bytes] = []

    def draw() -> None:
        out.append(topics_over_weeks(SERIES, "t", empty_text="e"))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 4 and all(size(p) == (800, 400) for p in out)
