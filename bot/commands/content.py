"""`python -m bot content check|export`: validate the knowledge base, or dump its claims."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.commands import add_actions
from bot.core.content import UNCITED, ContentError, load_packs
from bot.core.render import render
from bot.paths import CONTENT_DIR


def register(sub: argparse._SubParsersAction) -> None:
    csub = add_actions(sub, "content", help="check or export the knowledge base in content/",
                       description="Validate the framework packs in content/, or export every claim.")
    check = csub.add_parser("check", help="validate content/ and print a one-line summary per pack",
                            description="Validate content/; exit 1 with one message per problem.")
    check.add_argument("--content-dir", type=Path, default=CONTENT_DIR, help="folder of framework packs (default: content/)")
    check.set_defaults(func=run_check)
    export = csub.add_parser("export", help="print every claim as JSON Lines",
                             description='One JSON object per claim: {"section", "id", "text", "source"}; '
                             "SMART rows, key terms and questions included.")
    export.add_argument("--content-dir", type=Path, default=CONTENT_DIR, help="folder of framework packs (default: content/)")
    export.add_argument("--pack", help="only this pack (default: all)")
    export.set_defaults(func=run_export)


def _load(content_dir: Path):
    try:
        return load_packs(content_dir)
    except ContentError as exc:
        print(render("cli/content_errors.j2", problems=exc.problems), file=sys.stderr)
        return None


def run_check(args: argparse.Namespace) -> int:
    packs = _load(args.content_dir)
    if packs is None:
        return 1
    summaries = []
    for pack in packs.values():
        counts = pack.counts()
        counts["uncited"] = sum(1 for c in pack.all_claims() if c.source == UNCITED)
        summaries.append({"id": pack.id, "name": pack.name, "counts": counts})
    print(render("cli/content_check.j2", packs=summaries))
    return 0


def run_export(args: argparse.Namespace) -> int:
    packs = _load(args.content_dir)
    if packs is None:
        return 1
    out = sys.stdout
    for pack in packs.values():
        if args.pack and pack.id != args.pack:
            continue
        for claim in pack.all_claims():
            record = {"pack": pack.id, "section": claim.section, "id": claim.id, "text": claim.text, "source": claim.source}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0
