"""The whole benchmark: runs every measure, prints a table, returns one JSON-able dict.

Honesty rules: ratios only within this run and process; compared variants interleaved over rounds
(order rotated), a fresh database file per variant per round, inputs varied per turn; compared
outputs checked before timing is trusted; median and [min-max] across rounds; load average
printed before and after; row counts and a byte scan of every database file (no raw id, no
answer marker, no test identifier) asserted after the run.
"""
from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import TURNS_PER_REFLECTION, core_run, raw_run, scan_db, store_run, typical_states
from bench.stages import open_loop, pct, run_stages

REQUIRED_KEYS = ("core_vs_raw_normal", "core_vs_raw_full", "p99_ms_at_100_per_s", "match_ms_4000", "scrub_ms_4000",
                 "bytes_per_idle_session", "e2e_p99_ms", "startup_vs_import_discord")


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}


def spread(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def fmt(s: dict[str, float], scale: float = 1.0, digits: int = 2) -> str:
    return f"{s['median'] * scale:.{digits}f} [{s['min'] * scale:.{digits}f}-{s['max'] * scale:.{digits}f}]"


def _log(quiet: bool, *a) -> None:
    if not quiet:
        print(*a, file=sys.stderr, flush=True)


def row_sizes(seal_sizes: list[int], turns: int) -> list[int]:
    """One raw row per turn carrying the same payload as the core's turns: the core seals one
    session state per turn plus one journal entry on each save turn, so the extra sealed blobs
    are folded into rows spread over the run (total bytes equal, row count = turns)."""
    if len(seal_sizes) < turns:
        seal_sizes = (seal_sizes * (turns // max(1, len(seal_sizes)) + 1))[:turns]
    rows = list(seal_sizes[:turns])
    extra = seal_sizes[turns:]
    for j, n in enumerate(extra):
        rows[j * turns // len(extra)] += n
    return rows


async def core_section(root: Path, users: int, rounds: int, quiet: bool) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for sync in ("NORMAL", "FULL"):
        res[sync] = {"core": [], "raw": [], "ratio": [], "p50": [], "p99": [], "reads": [], "writes": [],
                     "compiles": 0, "commits": [], "turns": 0, "rows": 0, "store": [], "store_ratio": []}
    states = typical_states()
    # calibration run (warm-up; its sealed sizes seed a raw run that goes first in its round)
    cal = await core_run(root, min(users, 50), "NORMAL", seed=999)
    last_sizes = {"NORMAL": cal.seal_sizes, "FULL": cal.seal_sizes}
    scans = []
    for r in range(rounds):
        syncs = ("NORMAL", "FULL") if r % 2 == 0 else ("FULL", "NORMAL")
        for sync in syncs:
            acc = res[sync]
            core_first = (r // 2) % 2 == 0
            order = ("core", "raw", "store") if core_first else ("store", "raw", "core")
            core = raw = floor = None
            for v in order:
                if v == "core":
                    core = await core_run(root, users, sync, seed=r + 1)
                    last_sizes[sync] = core.seal_sizes
                elif v == "store":
                    floor = await store_run(root, users, sync, states)
                else:
                    raw = raw_run(root, row_sizes(last_sizes[sync], users * TURNS_PER_REFLECTION), sync)
            assert core is not None and raw is not None and floor is not None
            # compared outputs: the same number of rows written per turn, of the same sizes
            if raw[0] != core.turns:
                raise AssertionError(f"raw rows {raw[0]} != core turns {core.turns}")
            if core_first and raw[2] != sum(core.seal_sizes[:max(core.turns, len(core.seal_sizes))]):
                raise AssertionError("raw payload bytes differ from the core's sealed bytes")
            acc["core"].append(core.per_s)
            acc["raw"].append(raw[0] / raw[1])
            acc["ratio"].append(core.per_s / (raw[0] / raw[1]))
            acc["store"].append(floor.per_s)
            acc["store_ratio"].append(floor.per_s / (raw[0] / raw[1]))
            acc["p50"].append(pct(core.lat, 0.5))
            acc["p99"].append(pct(core.lat, 0.99))
            acc["reads"].append(core.reads / core.turns)
            acc["writes"].append(core.writes / core.turns)
            acc["commits"].append(core.commits)
            acc["compiles"] += core.compiles
            acc["turns"] = core.turns
            scan = scan_db(core.path, core.raw_ids)
            scans.append(scan)
            if scan["counts"]["entries"] != users + 1 or scan["counts"]["sessions"] != users + 1:
                raise AssertionError(f"row counts wrong after the run: {scan['counts']} (users={users} + 1 warm-up)")
            if scan["leaks"]:
                raise AssertionError(f"raw ids or test identifiers reached the database: {scan['leaks'][:5]}")
            floor_scan = scan_db(floor.path, floor.raw_ids)
            if floor_scan["counts"]["sessions"] != users + 1 or floor_scan["leaks"]:
                raise AssertionError(f"store-alone run: {floor_scan['counts']}, leaks {floor_scan['leaks'][:5]}")
            shutil.rmtree(core.path.parent, ignore_errors=True)
            shutil.rmtree(floor.path.parent, ignore_errors=True)
            _log(quiet, f"  round {r + 1}/{rounds} {sync}: core {core.per_s:,.0f} turns/s, raw {raw[0] / raw[1]:,.0f} "
                        f"inserts/s, store alone {floor.per_s:,.0f} turns/s")
    res["scans"] = len(scans)
    return res


async def scaling_section(root: Path, sizes: tuple[int, ...], quiet: bool) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        core = await core_run(root, n, "NORMAL", seed=77)
        cpu = core.cpu
        db_bytes = sum(p.stat().st_size for p in core.path.parent.glob("bot.sqlite3*"))
        scan = scan_db(core.path, core.raw_ids)
        if scan["leaks"]:
            raise AssertionError("raw ids reached the database")
        out.append({"users": n, "turns": core.turns, "turns_per_s": core.per_s,
                    "cpu_us_per_turn": cpu / core.turns * 1e6, "p50_ms": pct(core.lat, .5) * 1e3,
                    "p99_ms": pct(core.lat, .99) * 1e3, "db_bytes": db_bytes,
                    "reads_per_turn": core.reads / core.turns, "writes_per_turn": core.writes / core.turns})
        shutil.rmtree(core.path.parent, ignore_errors=True)
        _log(quiet, f"  scaling N={n}: {core.per_s:,.0f} turns/s, {cpu / core.turns * 1e6:.0f} us CPU/turn")
    return out


async def run_all(users: int, quick: bool, scaling: bool, idle: int | None, e2e_users: int | None,
                  quiet: bool) -> dict[str, Any]:
    from bench.e2e import e2e, reflect_cog_present, startup
    from bench.memory import idle_sessions

    rounds = 2 if quick else 5
    load_before = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="bot-bench-"))
    t_all = time.perf_counter()
    try:
        _log(quiet, f"core turns vs raw sqlite3 ({users} supervisees, {rounds} rounds)...")
        core = await core_section(root, users, rounds, quiet)
        _log(quiet, "stages...")
        stages = run_stages(rounds, 0.05 if quick else 0.15)
        _log(quiet, "open loop at 100 turns/s...")
        ol = await open_loop(root, 100.0, 1.0 if quick else 1.5, rounds)
        n_idle = idle or (1000 if quick else 10_000)
        _log(quiet, f"memory with {n_idle} open sessions...")
        mem = await idle_sessions(root, n_idle)
        _log(quiet, "end to end through the fake Discord...")
        e2e_n = e2e_users or (20 if quick else 200)
        e2e_res: dict[str, Any] | None
        try:
            e2e_res = await e2e(root, e2e_n, 2 if quick else 3, 0.5 if quick else 2.0)
            if e2e_res["scan"]["leaks"]:
                raise AssertionError("raw Discord ids reached the database in the e2e run")
        except ImportError as exc:  # the test extra (tests/fakediscord needs aiohttp) is missing
            e2e_res = {"error": f"fake Discord unavailable: {exc}"}
        _log(quiet, "start-up...")
        try:
            st = await startup(root, 2 if quick else 5)
        except ImportError as exc:
            st = {"error": str(exc)}
        scale = await scaling_section(root, (100, 1000, 10_000), quiet) if scaling else None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    load_after = os.getloadavg()

    st_n, st_f = core["NORMAL"], core["FULL"]
    turn_cost = 1.0 / statistics.median(st_n["core"])  # seconds of one turn at full throughput (NORMAL)
    stage = {k: spread(v) for k, v in stages.items()}
    wordset = stage["wordset_4000"]["median"]
    e2e_lat = e2e_res["paced"]["lat"] if e2e_res and "paced" in e2e_res else None
    e2e_sat = e2e_res["saturated"]["lat"] if e2e_res and "saturated" in e2e_res else None
    result: dict[str, Any] = {
        # headline ratios (required keys)
        "core_vs_raw_normal": statistics.median(st_n["ratio"]),
        "core_vs_raw_full": statistics.median(st_f["ratio"]),
        "p99_ms_at_100_per_s": pct(ol["real"], 0.99) * 1e3,
        "match_ms_4000": stage["match_4000"]["median"] * 1e3,
        "scrub_ms_4000": stage["scrub_4000"]["median"] * 1e3,
        # Python heap held per session once idle (past the store's idle timeout). RSS is reported
        # beside it ("memory" detail): it is a high-water mark that includes the minutes the
        # sessions were hot and cached, because freed heap is kept by the allocator for reuse.
        "bytes_per_idle_session": mem["heap_bytes_per_session"],
        "e2e_p99_ms": pct(e2e_lat, 0.99) * 1e3 if e2e_lat else None,
        "startup_vs_import_discord": (statistics.median(st["ready"]) / statistics.median(st["import_discord"])
                                      if "ready" in st else None),
        # detail
        "machine": machine(),
        "load_before": list(load_before), "load_after": list(load_after),
        "rounds": rounds, "users": users, "quick": quick, "seconds": time.perf_counter() - t_all,
        "core": {sync: {"turns_per_round": core[sync]["turns"],
                        "core_turns_per_s": spread(core[sync]["core"]), "raw_inserts_per_s": spread(core[sync]["raw"]),
                        "ratio": spread(core[sync]["ratio"]),
                        "store_alone_turns_per_s": spread(core[sync]["store"]),
                        "store_alone_vs_raw": spread(core[sync]["store_ratio"]), "p50_ms": spread([x * 1e3 for x in core[sync]["p50"]]),
                        "p99_ms": spread([x * 1e3 for x in core[sync]["p99"]]),
                        "db_reads_per_turn": spread(core[sync]["reads"]), "db_writes_per_turn": spread(core[sync]["writes"]),
                        "db_round_trips_per_turn": statistics.median(core[sync]["reads"]) + statistics.median(core[sync]["writes"]),
                        "commits_per_round": spread(core[sync]["commits"]),
                        "template_compiles_in_timed_turns": core[sync]["compiles"]}
                 for sync in ("NORMAL", "FULL")},
        "stages_ms": {k: {"median": v["median"] * 1e3, "min": v["min"] * 1e3, "max": v["max"] * 1e3} for k, v in stage.items()},
        "match_vs_wordset_4000": stage["match_4000"]["median"] / wordset,
        "scrub_vs_wordset_4000": stage["scrub_4000"]["median"] / wordset,
        "share_of_turn": {k: stage[k]["median"] / turn_cost for k in ("match_answer", "scrub_answer", "render_turn", "encrypt_state")},
        "open_loop": {"rate_per_s": 100, "synchronous": "NORMAL", "samples": len(ol["real"]),
                      "p50_ms": pct(ol["real"], .5) * 1e3, "p99_ms": pct(ol["real"], .99) * 1e3,
                      "control_samples": len(ol["control"]), "control_p50_ms": pct(ol["control"], .5) * 1e3,
                      "control_p99_ms": pct(ol["control"], .99) * 1e3},
        "memory": mem,
        "e2e": ({k: v for k, v in e2e_res.items() if k not in ("paced", "saturated")} | (
            {"users": e2e_n,
             "paced_messages_per_s": len(e2e_lat) / e2e_res["paced"]["seconds"],
             "p50_ms": pct(e2e_lat, .5) * 1e3, "p99_ms": pct(e2e_lat, .99) * 1e3,
             "saturated_messages_per_s": len(e2e_sat) / e2e_res["saturated"]["seconds"],
             "saturated_p50_ms": pct(e2e_sat, .5) * 1e3, "saturated_p99_ms": pct(e2e_sat, .99) * 1e3,
             "messages": len(e2e_lat) + len(e2e_sat)} if e2e_lat else {})),
        "e2e_mode": e2e_res.get("mode") if e2e_res else None,
        "reflect_cog_present": reflect_cog_present(),
        "startup_s": ({k: spread(v) for k, v in st.items()} if "ready" in st else st),
        "scaling": scale,
    }
    return result


def table(r: dict[str, Any]) -> str:
    m = r["machine"]
    rows = [f"machine: {m['nproc']} cpu, {m['cpu']}, Python {m['python']}, SQLite {m['sqlite']}",
            f"load avg before {r['load_before'][0]:.2f}, after {r['load_after'][0]:.2f};  rounds {r['rounds']};  "
            f"median [min-max] across rounds",
            ""]
    w = 44

    def row(name: str, value: str, target: str = "") -> None:
        rows.append(f"{name:<{w}} {value:<32} {target}")

    row("measure", "value", "target")
    row("-" * w, "-" * 32, "-" * 20)
    for sync in ("NORMAL", "FULL"):
        c = r["core"][sync]
        row(f"core turns/s ({sync}, {r['users']} supervisees)", fmt(c["core_turns_per_s"], 1, 0))
        row(f"raw sqlite3 inserts/s ({sync})", fmt(c["raw_inserts_per_s"], 1, 0))
        row(f"core / raw ({sync})", fmt(c["ratio"], 1, 3), ">= 0.5")
        row(f"  floor: store alone / raw ({sync})", fmt(c["store_alone_vs_raw"], 1, 3), "(no flow: the ceiling)")
        row(f"turn p50 / p99 ms ({sync}, closed loop)", f"{c['p50_ms']['median']:.2f} / {c['p99_ms']['median']:.1f}")
        row(f"db round trips per turn ({sync})", f"{c['db_round_trips_per_turn']:.2f}", "1")
    row("template compiles in timed turns", str(r["core"]["NORMAL"]["template_compiles_in_timed_turns"]
                                                + r["core"]["FULL"]["template_compiles_in_timed_turns"]), "0")
    s = r["stages_ms"]
    row("topic match, 4,000 chars (ms)", f"{s['match_4000']['median']:.3f} [{s['match_4000']['min']:.3f}-{s['match_4000']['max']:.3f}]", "< 2")
    row("scrub, 4,000 chars (ms)", f"{s['scrub_4000']['median']:.3f} [{s['scrub_4000']['min']:.3f}-{s['scrub_4000']['max']:.3f}]", "< 2")
    row("scrub, 4,000 chars without identifiers (ms)", f"{s['scrub_4000_no_identifiers']['median']:.3f}")
    row("word-set lookup baseline, 4,000 chars (ms)", f"{s['wordset_4000']['median']:.3f}")
    row("match / word-set", f"{r['match_vs_wordset_4000']:.1f}x", "<= 3x")
    row("scrub / word-set", f"{r['scrub_vs_wordset_4000']:.1f}x", "<= 5x")
    for k, label in (("match_answer", "topic match, one answer"), ("scrub_answer", "scrub, one answer"),
                     ("render_turn", "render one answer turn"), ("encrypt_state", "encrypt session state")):
        row(f"{label} (ms, % of a turn)", f"{s[k]['median']:.3f} ({r['share_of_turn'][k] * 100:.0f}%)")
    ol = r["open_loop"]
    row("p50 / p99 ms at 100 turns/s (open loop)", f"{ol['p50_ms']:.2f} / {ol['p99_ms']:.2f}", "p99 < 5")
    row("  do-nothing control p50 / p99 ms", f"{ol['control_p50_ms']:.2f} / {ol['control_p99_ms']:.2f}")
    mem = r["memory"]
    row(f"bytes per idle session ({mem['sessions']} open)",
        f"heap {mem['heap_bytes_per_session']:.0f} (while hot: {mem['heap_bytes_per_hot_session']:.0f}), RSS {mem['rss_bytes_per_session']:.0f}", "< 1024")
    row("raw answer strings left in memory", str(mem["answer_strings_in_memory"]), "0")
    e = r["e2e"]
    if "p99_ms" in e:
        row(f"e2e ({r['e2e_mode']}, {e['users']} supervisees, one msg / ~{e['think_s']:.0f} s each)",
            f"{e['paced_messages_per_s']:.0f} msg/s")
        row("  e2e p50 / p99 ms", f"{e['p50_ms']:.1f} / {e['p99_ms']:.1f}", "p99 < 50")
        row("e2e saturated (closed loop) msg/s", f"{e['saturated_messages_per_s']:.0f}")
        row("  saturated p50 / p99 ms", f"{e['saturated_p50_ms']:.1f} / {e['saturated_p99_ms']:.1f}")
    else:
        row("e2e", str(e.get("error")))
    if r["startup_vs_import_discord"] is not None:
        su = r["startup_s"]
        row("start-up to ready / import discord (s)", f"{su['ready']['median']:.2f} / {su['import_discord']['median']:.2f}")
        row("start-up ratio", f"{r['startup_vs_import_discord']:.2f}x")
    if r.get("scaling"):
        for sc in r["scaling"]:
            row(f"scaling N={sc['users']}: turns/s, CPU us/turn, p99",
                f"{sc['turns_per_s']:.0f}, {sc['cpu_us_per_turn']:.0f}, {sc['p99_ms']:.0f} ms")
    return "\n".join(rows)


def main(users: int, quick: bool, scaling: bool, as_json: bool, idle: int | None = None,
         e2e_users: int | None = None) -> int:
    result = asyncio.run(run_all(users, quick, scaling, idle, e2e_users, quiet=as_json))
    if as_json:
        print(json.dumps(result, default=str))
    else:
        print(table(result))
    return 0
