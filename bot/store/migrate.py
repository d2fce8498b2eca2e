"""Forward-only schema migrations: numbered SQL files in bot/store/migrations/.

`NNNN_name.sql` files are applied in order, each inside its own `BEGIN IMMEDIATE` transaction
together with its row in `schema_version`, so a crash leaves the database at a whole earlier
version that the next start upgrades. Statements are split with `sqlite3.complete_statement`
and run one by one (never `executescript`, which would commit behind our back).

Later issues add 0003+ files; numbering must stay contiguous from 1 and files never change
once released (the test suite builds every earlier version and upgrades it).
"""
from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        out, buf = [], ""
        for line in self.sql.splitlines(keepends=True):
            if not buf and (not line.strip() or line.lstrip().startswith("--")):
                continue
            buf += line
            if sqlite3.complete_statement(buf):
                out.append(buf.strip())
                buf = ""
        if buf.strip():
            raise MigrationError(f"migration {self.version:04d}_{self.name}: incomplete statement at end of file")
        return out


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        found.append(Migration(int(m.group(1)), m.group(2), path.read_text(encoding="utf-8")))
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise MigrationError(f"migrations must be numbered 1, 2, 3... without gaps; found {mig.version:04d} where {expected:04d} was expected")
    return found


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
    if row is None:
        return 0
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, target: int | None = None, migrations: list[Migration] | None = None,
            now: datetime | None = None) -> int:
    """Apply pending migrations up to `target` (default: all). Returns the resulting version.

    The connection must be in autocommit mode (isolation_level=None).
    """
    migrations = load_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    target = latest if target is None else target
    if conn.in_transaction:
        raise MigrationError("migrate() needs a connection outside any transaction")
    version = current_version(conn)
    if version > latest:
        raise MigrationError(f"the database is at schema version {version}, newer than this code knows ({latest}); "
                             "run the newer version of the bot, or restore a matching backup")
    stamp = (now or datetime.now(timezone.utc)).isoformat()
    for mig in migrations:
        if mig.version <= version or mig.version > target:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            # re-check under the write lock: another process may have migrated meanwhile
            if current_version(conn) >= mig.version:
                conn.execute("ROLLBACK")
                continue
            for stmt in mig.statements():
                conn.execute(stmt)
            conn.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)", (mig.version, mig.name, stamp))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.info("schema migrated to version %d (%s)", mig.version, mig.name)
    return current_version(conn)
