"""Master key rotation and key checks (`python -m bot keys rotate|check|confirm`).

Rotation re-wraps every person's data key (and the pseudonym key, so pseudonyms never change)
under a new master key, in ONE transaction. The order makes every crash recoverable:

1. the old key file is copied to `secret.key.old-<UTC stamp>` (mode 0600) and kept until
   `keys confirm`;
2. a generated new secret is written to `secret.key.new` (0600, fsynced) BEFORE the database
   changes, so it can never be lost;
3. one transaction re-wraps all rows and stores the new key check value;
4. only then `secret.key.new` is renamed over `secret.key`.

A crash between 3 and 4 leaves a database that opens with `secret.key.new`: the start-up
error says so, and running `keys rotate` again finishes the rename. With the secret in env
BOT_SECRET_KEY the new secret must come from BOT_NEW_SECRET_KEY and no file is written; the
operator then replaces BOT_SECRET_KEY (the value is never printed).

What rotation does not do: the data keys themselves stay the same (they are only re-wrapped).
Someone who had BOTH the old secret and an old copy of the database could still unwrap those
data keys; a full re-encryption with fresh data keys is a later step (see docs/privacy.md).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bot.core.keys import (
    BACKUP_INFIX, ENV_NEW_SECRET, ENV_SECRET, PENDING_SUFFIX, Keyring, MissingKeyError, copy_key_file,
    generate_secret, parse_secret, read_key_file, write_key_file, _fsync_dir,
)
from bot.store.sqlite import _db_facts, _resolve, open_store


@dataclass
class RotationResult:
    rewrapped: int
    old_key_id: str
    new_key_id: str
    key_file: Path | None  # the key file now holding the new secret (None: env only)
    backup: Path | None  # copy of the old key file, kept until `keys confirm`
    finished_interrupted: bool = False
    env_update_needed: bool = False


def _backup_path(key_file: Path, stamp: str) -> Path:
    """secret.key.old-<stamp>; the same stamp again gets -2, -3... unless it holds the same key."""
    base = key_file.with_name(f"{key_file.name}{BACKUP_INFIX}{stamp}")
    path, n = base, 1
    while path.exists() and read_key_file(path) != read_key_file(key_file):
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _pending(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + PENDING_SUFFIX)


async def rotate(db_path: Path | None = None, data_dir: Path | None = None, *, key_file: Path | None = None,
                 env: dict[str, str] | None = None, now: datetime | None = None) -> RotationResult:
    env = dict(os.environ) if env is None else env
    db_path, data_dir, key_file = _resolve(db_path, data_dir, key_file)
    pending = _pending(key_file)
    from_env = bool(env.get(ENV_SECRET, "").strip())

    # finish an interrupted rotation: the database already uses the pending key
    if pending.exists() and not from_env:
        facts = _db_facts(db_path)
        new = Keyring(read_key_file(pending))
        if facts.check_value and new.matches(facts.check_value):
            os.replace(pending, key_file)
            _fsync_dir(key_file.parent)
            return RotationResult(0, "?", new.key_id, key_file, None, finished_interrupted=True)
        pending.unlink()  # a stale pending key from a rotation that never reached the database

    if not from_env and not key_file.exists():
        raise MissingKeyError(f"No key to rotate: {ENV_SECRET} is not set and {key_file} does not exist.")
    new_value = env.get(ENV_NEW_SECRET, "").strip()
    if from_env and not new_value:
        raise MissingKeyError(f"The current key comes from {ENV_SECRET}; give the new one in {ENV_NEW_SECRET} "
                              "(32 random bytes, url-safe base64 or hex).")
    new_secret = parse_secret(new_value, f"environment variable {ENV_NEW_SECRET}") if new_value else generate_secret()

    async with open_store(db_path, data_dir, key_file=key_file, env=env) as store:
        old = store.keyring
        new = old.successor(new_secret)
        if new.key_id == old.key_id:
            raise ValueError("the new secret is the same as the current one")
        backup = None
        if not from_env:
            stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
            backup = _backup_path(key_file, stamp)
            if not (backup.exists() and read_key_file(backup) == read_key_file(key_file)):
                copy_key_file(key_file, backup)
            write_key_file(pending, new_secret, replace=True)
        n = await store.rewrap(new)
    if not from_env:
        os.replace(pending, key_file)
        _fsync_dir(key_file.parent)
    return RotationResult(n, old.key_id, new.key_id, None if from_env else key_file, backup,
                          env_update_needed=from_env)


@dataclass
class CheckResult:
    key_id: str
    keys_ok: int
    keys_bad: int
    integrity: str
    backups: list[Path]


def backups_of(key_file: Path) -> list[Path]:
    return sorted(key_file.parent.glob(key_file.name + BACKUP_INFIX + "*"))


async def check(db_path: Path | None = None, data_dir: Path | None = None, *, key_file: Path | None = None,
                env: dict[str, str] | None = None) -> CheckResult:
    """Open the store (which verifies the key check value) and unwrap every data key."""
    db_path, data_dir, key_file = _resolve(db_path, data_dir, key_file)
    async with open_store(db_path, data_dir, key_file=key_file, env=env) as store:
        ok, bad = await store.check_all_keys()
        integrity = await store.integrity_check()
        return CheckResult(store.keyring.key_id, ok, bad, integrity, backups_of(key_file))


async def confirm(db_path: Path | None = None, data_dir: Path | None = None, *, key_file: Path | None = None,
                  env: dict[str, str] | None = None) -> list[Path]:
    """After a rotation: if the current key opens everything, remove the old key backups."""
    result = await check(db_path, data_dir, key_file=key_file, env=env)
    if result.keys_bad:
        raise MissingKeyError(f"{result.keys_bad} data key(s) do not open with the current key; "
                              "the old key backups are kept.")
    removed = []
    for path in result.backups:
        _overwrite_and_unlink(path)
        removed.append(path)
    return removed


def _overwrite_and_unlink(path: Path) -> None:
    try:
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            fh.write(os.urandom(size))
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        path.unlink()
