"""Keys: pseudonyms, key file handling, refusing wrong/missing keys, rotation."""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from bot.core.keys import (
    KeyFilePermissionError, Keyring, MalformedKeyError, MissingKeyError, WrongKeyError, encode_secret,
    generate_secret,
)
from bot.core.ports import NewEntry, StoredSession
from bot.store import load_keyring, open_store
from bot.store.rotate import check, confirm, rotate

RAW_ID = "112233445566778899"


def test_pseudonyms_stable_domain_separated_and_shaped():
    secret = generate_secret()
    kr, same, other = Keyring(secret), Keyring(secret), Keyring(generate_secret())
    p = kr.pseudonym("user", RAW_ID)
    assert p == same.pseudonym("user", int(RAW_ID)) and p.startswith("u_") and len(p) == 2 + 32
    assert p != other.pseudonym("user", RAW_ID)
    kinds = {kr.pseudonym(k, RAW_ID) for k in ("user", "guild", "channel", "terminal")}
    assert len(kinds) == 4
    assert kr.pseudonym("guild", RAW_ID).startswith("g_") and kr.pseudonym("terminal", "bob").startswith("t_")
    assert RAW_ID not in p
    with pytest.raises(ValueError):
        kr.pseudonym("User!", 1)
    with pytest.raises(ValueError):
        kr.pseudonym("user", "")


def test_secrets_never_in_repr_or_pickle():
    secret = generate_secret()
    kr = Keyring(secret)
    text = repr(kr) + str(kr)
    assert encode_secret(secret) not in text and secret.hex() not in text and "key_id" in text
    import pickle
    with pytest.raises(TypeError):
        pickle.dumps(kr)


def test_key_file_created_0600_and_reused(tmp_path):
    kr = load_keyring(tmp_path, env={})
    key = tmp_path / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert load_keyring(tmp_path, env={}).pseudonym("user", 1) == kr.pseudonym("user", 1)


def test_key_file_created_0600_even_with_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        load_keyring(tmp_path, env={})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_group_or_world_readable_key_file_refused(tmp_path, mode):
    load_keyring(tmp_path, env={})
    key = tmp_path / "secret.key"
    key.chmod(mode)
    with pytest.raises(KeyFilePermissionError, match=r"chmod 600"):
        load_keyring(tmp_path, env={})


@pytest.mark.parametrize("bad", ["short", "!!!!not base64!!!!", "AAAA", "z" * 10])
def test_malformed_keys_refused_without_echo(tmp_path, bad):
    with pytest.raises(MalformedKeyError) as err:
        load_keyring(tmp_path, env={"BOT_SECRET_KEY": bad})
    assert bad not in str(err.value)
    (tmp_path / "secret.key").write_text(bad)
    (tmp_path / "secret.key").chmod(0o600)
    with pytest.raises(MalformedKeyError):
        load_keyring(tmp_path, env={})


def test_env_key_accepts_base64_and_hex(tmp_path):
    secret = generate_secret()
    a = load_keyring(tmp_path, env={"BOT_SECRET_KEY": encode_secret(secret)})
    b = load_keyring(tmp_path, env={"BOT_SECRET_KEY": secret.hex()})
    assert a.pseudonym("user", 1) == b.pseudonym("user", 1)
    assert not (tmp_path / "secret.key").exists()  # env given: no file written


async def _with_data(folder: Path, env: dict | None = None) -> str:
    async with open_store(data_dir=folder, env=env or {}) as s:
        o = s.keyring.pseudonym("user", RAW_ID)
        await s.put_session(StoredSession(id="s", owner=o, status="active", state={"a": "answer"}))
        await s.save_entry(o, "s", NewEntry(text="entry text"))
        return o


async def test_missing_key_with_existing_data_refuses(tmp_path):
    await _with_data(tmp_path)
    (tmp_path / "secret.key").unlink()
    with pytest.raises(MissingKeyError, match="already holds data"):
        async with open_store(data_dir=tmp_path, env={}):
            pass
    assert not (tmp_path / "secret.key").exists()  # no silent new identity


async def test_wrong_key_refuses(tmp_path):
    await _with_data(tmp_path)
    with pytest.raises(WrongKeyError, match="does not match"):
        async with open_store(data_dir=tmp_path, env={"BOT_SECRET_KEY": encode_secret(generate_secret())}):
            pass
    with pytest.raises(WrongKeyError):
        load_keyring(tmp_path, env={"BOT_SECRET_KEY": encode_secret(generate_secret())})


async def test_key_check_value_is_not_the_key(tmp_path):
    await _with_data(tmp_path)
    import sqlite3
    secret = (tmp_path / "secret.key").read_text().strip()
    conn = sqlite3.connect(tmp_path / "bot.sqlite3")
    meta = dict(conn.execute("SELECT name, value FROM meta"))
    conn.close()
    assert set(meta) == {"key_check", "key_id", "pseudonym_key"}
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    from bot.core.keys import parse_secret
    raw = parse_secret(secret, "test")
    assert secret.encode() not in blob and raw not in blob and raw.hex().encode() not in blob


async def test_secret_not_logged(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    await _with_data(tmp_path)
    secret = (tmp_path / "secret.key").read_text().strip()
    await rotate(data_dir=tmp_path, env={})
    new_secret = (tmp_path / "secret.key").read_text().strip()
    assert secret not in caplog.text and new_secret not in caplog.text and RAW_ID not in caplog.text


async def test_rotate_keeps_everything_readable_and_pseudonyms(tmp_path):
    o = await _with_data(tmp_path)
    before = (tmp_path / "secret.key").read_text()
    result = await rotate(data_dir=tmp_path, env={})
    assert result.rewrapped == 1 and result.old_key_id != result.new_key_id
    assert (tmp_path / "secret.key").read_text() != before
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert result.backup.read_text() == before and stat.S_IMODE(result.backup.stat().st_mode) == 0o600
    assert not (tmp_path / "secret.key.new").exists()
    async with open_store(data_dir=tmp_path, env={}) as s:
        assert s.keyring.pseudonym("user", RAW_ID) == o  # pseudonyms survive rotation
        assert [e.text for e in await s.list_entries(o)] == ["entry text"]
        assert (await s.get_session(o, "s")).state == {"a": "answer"}
    r = await check(data_dir=tmp_path, env={})
    assert (r.keys_ok, r.keys_bad, r.integrity, len(r.backups)) == (1, 0, "ok", 1)
    assert await confirm(data_dir=tmp_path, env={}) == [result.backup] and not result.backup.exists()
    # twice in a row works too
    await rotate(data_dir=tmp_path, env={})
    async with open_store(data_dir=tmp_path, env={}) as s:
        assert [e.text for e in await s.list_entries(o)] == ["entry text"]


async def test_rotate_with_env_keys(tmp_path):
    old, new = encode_secret(generate_secret()), encode_secret(generate_secret())
    o = await _with_data(tmp_path, env={"BOT_SECRET_KEY": old})
    with pytest.raises(MissingKeyError, match="BOT_NEW_SECRET_KEY"):
        await rotate(data_dir=tmp_path, env={"BOT_SECRET_KEY": old})
    r = await rotate(data_dir=tmp_path, env={"BOT_SECRET_KEY": old, "BOT_NEW_SECRET_KEY": new})
    assert r.env_update_needed and r.key_file is None and not (tmp_path / "secret.key").exists()
    with pytest.raises(WrongKeyError):
        load_keyring(tmp_path, env={"BOT_SECRET_KEY": old})
    async with open_store(data_dir=tmp_path, env={"BOT_SECRET_KEY": new}) as s:
        assert s.keyring.pseudonym("user", RAW_ID) == o
        assert (await s.list_entries(o))[0].text == "entry text"


async def test_interrupted_rotation_is_reported_and_finished(tmp_path, monkeypatch):
    """Crash after the database switched but before the key file was renamed."""
    o = await _with_data(tmp_path)
    import bot.store.rotate as rot
    real_replace = os.replace

    def crash(src, dst):
        if str(src).endswith("secret.key.new"):
            raise KeyboardInterrupt("simulated crash")
        return real_replace(src, dst)

    monkeypatch.setattr(rot.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        await rotate(data_dir=tmp_path, env={})
    monkeypatch.setattr(rot.os, "replace", real_replace)
    assert (tmp_path / "secret.key.new").exists()
    with pytest.raises(WrongKeyError, match="rotation was interrupted"):
        async with open_store(data_dir=tmp_path, env={}):
            pass
    r = await rotate(data_dir=tmp_path, env={})
    assert r.finished_interrupted
    async with open_store(data_dir=tmp_path, env={}) as s:
        assert (await s.list_entries(o))[0].text == "entry text"


async def test_crash_before_database_switch_keeps_old_key(tmp_path, monkeypatch):
    o = await _with_data(tmp_path)
    from bot.store.sqlite import SQLiteStore

    async def boom(self, new):
        raise KeyboardInterrupt("simulated crash before commit")

    monkeypatch.setattr(SQLiteStore, "rewrap", boom)
    with pytest.raises(KeyboardInterrupt):
        await rotate(data_dir=tmp_path, env={})
    monkeypatch.undo()
    async with open_store(data_dir=tmp_path, env={}) as s:  # old key still in place and valid
        assert (await s.list_entries(o))[0].text == "entry text"
    await rotate(data_dir=tmp_path, env={})  # the stale pending key is discarded, rotation works
    async with open_store(data_dir=tmp_path, env={}) as s:
        assert (await s.list_entries(o))[0].text == "entry text"


async def test_tampered_wrapped_key_makes_only_that_person_unreadable(tmp_path):
    async with open_store(data_dir=tmp_path, env={}) as s:
        a, b = s.keyring.pseudonym("user", 1), s.keyring.pseudonym("user", 2)
        await s.save_entry(a, None, NewEntry(text="alice"))
        await s.save_entry(b, None, NewEntry(text="bob"))
        wrapped_a = (await s._fetch("SELECT wrapped FROM person_keys WHERE owner = ?", (a,)))[0][0]
        # swapping wrapped keys between people fails (owner is in the associated data)
        await s._write(lambda c: c.execute("UPDATE person_keys SET wrapped = ? WHERE owner = ?", (wrapped_a, b)))
    async with open_store(data_dir=tmp_path, env={}) as s:
        assert (await s.list_entries(a))[0].text == "alice"
        assert (await s.list_entries(b))[0].unreadable
        r = await s.check_all_keys()
        assert r == (1, 1)


def test_sealing_the_same_text_twice_never_repeats_a_nonce_and_opens_only_with_its_aad():
    """AES-GCM is broken by a repeated nonce under one key: every seal draws a fresh one."""
    from bot.core.keys import DataKey, DecryptError, NONCE_BYTES, new_data_key

    dk = DataKey(new_data_key())
    blobs = [dk.seal(b"the same answer", b"sessions\x00s1\x00o1\x00") for _ in range(20_000)]
    nonces = {b[1:1 + NONCE_BYTES] for b in blobs}
    assert len(nonces) == len(blobs)
    assert all(dk.open(b, b"sessions\x00s1\x00o1\x00") == b"the same answer" for b in blobs[:50])
    with pytest.raises(DecryptError):
        dk.open(blobs[0], b"sessions\x00s2\x00o1\x00")
