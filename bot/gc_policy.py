"""How the long-running processes use Python's cycle collector (measured in bench/RESULTS.md).

After start-up, everything loaded so far (modules, the content pack, compiled templates and
expressions, discord.py) is moved to the permanent generation, so no collection scans it again.
The youngest generation is then collected after 50,000 allocations instead of 700: with
thousands of reflections in flight, each full collection walks every live session object, and at
the default rate those walks made a turn ~25% dearer at 10,000 open reflections than at 100. At
50,000 the per-turn cost stays flat with the number in flight; a young collection of 50,000
containers takes about 1 ms (the open-loop p99 at 100 turns/s stayed under 5 ms), and the older
generations keep their default ratios, so cyclic garbage is still collected.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

GEN0_THRESHOLD = 50_000


def settle() -> None:
    """Call once start-up is complete."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)


@contextmanager
def settled() -> Iterator[None]:
    """`settle()` for a while, then the interpreter's previous settings (for the benchmark)."""
    before = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
