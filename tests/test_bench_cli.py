"""`python -m bot bench --quick --users 20 --json` as a real subprocess: one JSON object with every
required key and sane types. Never asserts on timings (figures live in bench/RESULTS.md)."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

REQUIRED = {
    "core_vs_raw_normal": (int, float),
    "core_vs_raw_full": (int, float),
    "p99_ms_at_100_per_s": (int, float),
    "match_ms_4000": (int, float),
    "scrub_ms_4000": (int, float),
    "bytes_per_idle_session": (int, float),
    "e2e_p99_ms": (int, float),
    "startup_vs_import_discord": (int, float),
}


def test_bench_quick_json(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "bench", "--quick", "--users", "20", "--json", "--idle", "300"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout.strip()
    assert out.startswith("{") and out.endswith("}") and out.count("\n") == 0, "expected ONE JSON object"
    data = json.loads(out)
    for key, types in REQUIRED.items():
        assert key in data, key
        value = data[key]
        assert isinstance(value, types) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value) and value > 0, (key, value)
    assert data["machine"]["nproc"] >= 1 and data["machine"]["python"]
    assert data["e2e_mode"] in ("reflect-cog", "minimal-bot")
    assert data["memory"]["answer_strings_in_memory"] == 0
    assert data["core"]["NORMAL"]["turns_per_round"] == 20 * 9
    assert len(data["load_before"]) == 3 and len(data["load_after"]) == 3
