"""Where the project's data lives: content/, prompts/ and the default data directory.

The repository root holds content/ and prompts/ beside the package, so that an
editable install and a plain checkout find them the same way.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
PROMPTS_DIR = ROOT / "prompts"


def data_dir() -> Path:
    """The data directory: $BOT_DATA_DIR, else ./data under the current directory."""
    return Path(os.environ.get("BOT_DATA_DIR") or "data")


def default_db_path() -> Path:
    """The embedded default database file, inside the data directory."""
    return data_dir() / "bot.sqlite3"
