"""`python -m bot topics`: which topic rules a text touches (reads stdin), as JSON or for a person."""
from __future__ import annotations

import argparse
import json
import sys

from bot.core.content import get_pack
from bot.core.render import render
from bot.core.topics import match_topics


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("topics", help="show which topic rules a text touches (text on stdin)",
                       description='Read text on stdin and print the topics it touches as JSON: '
                       '{"topics": [{"id", "cues", "pulls"}]} (cues = the words that fired, pulls = claim ids). '
                       "Negated mentions (\"no signs of dissociation\") do not count.")
    p.add_argument("--explain", action="store_true", help="print the result for a person instead of JSON")
    p.add_argument("--pack", default="ipnb", help="framework pack whose rules to use (default: ipnb)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    pack = get_pack(args.pack)
    matches = match_topics(pack, sys.stdin.read())
    if args.explain:
        topics = [{**m.to_dict(), "claims": [pack.claim(c) for c in m.pulls], "passages": m.passages,
                   "follow_up": pack.topic(m.id).follow_up} for m in matches]
        print(render("topics/explain.j2", topics=topics, references={r.number: r.title for r in pack.references}))
        return 0
    out = {"topics": [{"id": m.id, "cues": list(m.cues), "pulls": list(m.pulls)} for m in matches]}
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0
