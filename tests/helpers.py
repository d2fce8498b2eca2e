"""Small shared helpers for tests: the repo root and running the real CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `python -m bot ARGS` as a real subprocess with its own environment."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=full_env, cwd=str(cwd or ROOT), timeout=timeout)
