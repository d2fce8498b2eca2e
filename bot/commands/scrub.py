"""`python -m bot scrub [--json]`: remove identifiers from text read on standard input."""
from __future__ import annotations

import argparse
import io
import json
import sys

from bot.core.privacy import scrub


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scrub",
        help="remove identifiers (names, dates, phones, emails, ids...) from text on stdin",
        description="Read UTF-8 text on standard input and print it with identifiers replaced by "
        "numbered tokens such as [NAME-1]; --json prints the text and the redactions.",
    )
    p.add_argument("--json", action="store_true",
                   help='print {"text": ..., "redactions": [{"kind", "start", "end", "label"}]}; '
                   "offsets index the normalised input")
    p.set_defaults(func=run)


def _read_stdin() -> str:
    buf = getattr(sys.stdin, "buffer", None)
    if buf is not None:
        return io.TextIOWrapper(buf, encoding="utf-8", errors="replace").read()
    return sys.stdin.read()


def run(args: argparse.Namespace) -> int:
    result = scrub(_read_stdin())
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="replace", newline="") \
        if hasattr(sys.stdout, "buffer") else sys.stdout
    if args.json:
        payload = {
            "text": result.text,
            "redactions": [{"kind": r.kind, "start": r.start, "end": r.end, "label": r.label} for r in result.redactions],
        }
        out.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
        out.write(result.text)
        if result.text and not result.text.endswith("\n"):
            out.write("\n")
    out.flush()
    if out is not sys.stdout:
        out.detach()
    return 0
