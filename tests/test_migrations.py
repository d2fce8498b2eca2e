"""Forward-only migrations: from an empty database and from every earlier version."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.ports import NewEntry
from bot.store import open_store
from bot.store.migrate import Migration, MigrationError, current_version, load_migrations, migrate

MIGRATIONS = load_migrations()
LATEST = MIGRATIONS[-1].version


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def schema(conn: sqlite3.Connection) -> list[tuple]:
    """Tables, columns and indexes, independent of how the schema was reached."""
    out = []
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        cols = sorted((r[1], r[2], r[3], r[5]) for r in conn.execute(f"PRAGMA table_info({name})"))
        idx = sorted(r[1] for r in conn.execute(f"PRAGMA index_list({name})"))
        out.append((name, cols, idx))
    return out


def test_numbering_is_contiguous_and_statements_parse():
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1))
    assert LATEST >= 2
    for m in MIGRATIONS:
        assert m.statements()


def test_from_empty(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    assert current_version(conn) == 0
    assert migrate(conn) == LATEST
    assert migrate(conn) == LATEST  # idempotent
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, LATEST + 1))
    assert {"meta", "person_keys", "sessions", "entries", "entry_history"} <= {n for n, _, _ in schema(conn)}


@pytest.mark.parametrize("k", range(0, LATEST))
def test_from_every_earlier_version(tmp_path, k):
    fresh = connect(tmp_path / "fresh.sqlite3")
    migrate(fresh)
    old = connect(tmp_path / "old.sqlite3")
    assert migrate(old, target=k) == k
    assert current_version(old) == k
    assert migrate(old) == LATEST
    assert schema(old) == schema(fresh)


@pytest.mark.parametrize("k", range(1, LATEST))
async def test_data_written_at_an_earlier_version_survives(tmp_path, k):
    """Rows inserted at version k stay intact after the upgrade the store runs on start."""
    db = tmp_path / "bot.sqlite3"
    conn = connect(db)
    migrate(conn, target=k)
    conn.execute("INSERT INTO sessions (id, owner, status, place, state, created_at, updated_at) "
                 "VALUES ('s', 'u_x', 'finished', NULL, x'00', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')")
    conn.close()
    async with open_store(db, env={"BOT_SECRET_KEY": "A" * 43}) as store:
        assert (await store._fetch("SELECT COUNT(*) FROM sessions", ()))[0][0] == 1
        o = store.keyring.pseudonym("user", 1)
        eid = await store.save_entry(o, None, NewEntry(text="after upgrade", case="A.B."))
        assert (await store.list_entries(o, case="A.B."))[0].id == eid
        assert await store.integrity_check() == "ok"


def test_failed_migration_rolls_back(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    broken = MIGRATIONS + [Migration(LATEST + 1, "broken", "CREATE TABLE later_table (x INTEGER);\nSELECT * FROM no_such_table;\n")]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, migrations=broken)
    assert current_version(conn) == LATEST  # earlier ones applied, the broken one not at all
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'later_table'").fetchone() is None


def test_newer_database_is_refused(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    migrate(conn)
    conn.execute("INSERT INTO schema_version VALUES (?, 'future', 'x')", (LATEST + 5,))
    with pytest.raises(MigrationError, match="newer"):
        migrate(conn)


def test_bad_file_names_and_gaps(tmp_path):
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (x);")
    (tmp_path / "0003_c.sql").write_text("CREATE TABLE c (x);")
    with pytest.raises(MigrationError, match="without gaps"):
        load_migrations(tmp_path)
    (tmp_path / "0003_c.sql").unlink()
    (tmp_path / "2_b.sql").write_text("CREATE TABLE b (x);")
    with pytest.raises(MigrationError, match="NNNN_name"):
        load_migrations(tmp_path)
