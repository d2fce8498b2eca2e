"""`python -m bot bench`: performance figures as ratios measured within one run (see bench/)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench", help="benchmark: core turns vs raw sqlite3, stages, latency, memory, e2e, start-up",
        description="Benchmark the core turn (topics + flow + render + scrub + encrypt + persist) against raw "
        "sqlite3 inserts at the same durability, each stage alone, p99 at a steady 100 turns/s, memory per "
        "idle session, end to end through the local fake Discord and start-up time. Needs a source checkout "
        "(bench/ and tests/fakediscord) and the test extra (pip install -e '.[test]') for the e2e and "
        "start-up parts. Prints a table, or with --json ONE JSON object. Figures: bench/RESULTS.md.")
    p.add_argument("--users", type=int, default=1000, help="simulated supervisees for the core turn (default 1000)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--quick", action="store_true", help="2 rounds instead of 5 and small e2e/memory runs (smoke test)")
    p.add_argument("--scaling", action="store_true", help="also the core turn at N = 100, 1,000 and 10,000 (slow)")
    p.add_argument("--idle", type=int, default=None, help="open sessions for the memory figure (default 10000; 1000 with --quick)")
    p.add_argument("--e2e-users", type=int, default=None, help="concurrent supervisees end to end (default 200; 20 with --quick)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not (REPO / "bench" / "run.py").exists():
        print("bench/ not found: run from a source checkout", file=sys.stderr)
        return 2
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from bench.run import main

    return main(max(1, args.users), args.quick, args.scaling, args.json, args.idle, args.e2e_users)
