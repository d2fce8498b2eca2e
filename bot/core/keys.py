"""Secrets, pseudonyms and envelope encryption (pure: no discord import, no database).

One secret (32 random bytes, from env `BOT_SECRET_KEY` or the key file `secret.key` in the
data directory) is the root of everything. HKDF-SHA256 derives independent sub-keys from it,
each with its own `info` label, so no two uses share key material:

- the pseudonym key: HMAC-SHA256(kind || 0 || raw) -> "u_<base32>" stable pseudonyms;
- the master key (key-encryption key): wraps each person's random data key with AES-GCM;
- the verifier key: a check value stored in the database to detect a wrong key at start
  (it is an HMAC output: it reveals nothing about the secret);
- the key id: a short public label of the master key, written beside each wrapped key, so
  `keys rotate` knows what is wrapped under what.

A person's data key encrypts their rows (AES-GCM, associated data = table, row id, owner), and
a per-person index key derived from the data key tags case pseudonyms for filtering, so
destroying the data key also unlinks the tags.

Nothing here prints, logs or reprs a secret.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ENV_SECRET = "BOT_SECRET_KEY"
ENV_NEW_SECRET = "BOT_NEW_SECRET_KEY"
KEY_FILE_NAME = "secret.key"
PENDING_SUFFIX = ".new"
BACKUP_INFIX = ".old-"
SECRET_BYTES = 32
PSEUDONYM_BYTES = 20
FORMAT_V1 = b"\x01"
NONCE_BYTES = 12

_PREFIX = {"user": "u", "guild": "g", "channel": "c", "terminal": "t", "thread": "h", "role": "r", "message": "m"}
_KIND_RE = re.compile(r"^[a-z][a-z_]{0,31}$")


class KeyProblem(Exception):
    """Base of the key errors: each message says what is wrong and how to fix it, never the key."""


class MissingKeyError(KeyProblem):
    pass


class MalformedKeyError(KeyProblem):
    pass


class KeyFilePermissionError(KeyProblem):
    pass


class WrongKeyError(KeyProblem):
    pass


class DecryptError(Exception):
    """A ciphertext failed to authenticate (tampered, moved to another row, or its key is gone)."""


# --------------------------------------------------------------------------- secret parsing

def generate_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def encode_secret(secret: bytes) -> str:
    """The text form written to key files and accepted from the environment."""
    return base64.urlsafe_b64encode(secret).decode("ascii").rstrip("=")


def parse_secret(text: str, origin: str) -> bytes:
    """Decode a secret given as url-safe base64 (the key file format) or hex.

    `origin` names where it came from ("env BOT_SECRET_KEY", "/path/secret.key") for the error
    message; the value itself never appears in any message.
    """
    value = text.strip()
    raw: bytes | None = None
    if re.fullmatch(r"[0-9a-fA-F]{64,}", value) and len(value) % 2 == 0:
        raw = bytes.fromhex(value)
    elif re.fullmatch(r"[A-Za-z0-9_\-+/]+={0,2}", value or "-"):
        try:
            raw = base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) < SECRET_BYTES:
        raise MalformedKeyError(
            f"The secret key from {origin} is malformed: expected at least {SECRET_BYTES} bytes as "
            "url-safe base64 (as written by the bot) or hex. Restore the right key; a new key "
            "would not open the existing data.")
    return raw


# --------------------------------------------------------------------------- key files

def check_key_file_mode(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFilePermissionError(
            f"The key file {path} is readable by others (mode {mode:03o}). "
            f"Fix it with: chmod 600 {path}")


def read_key_file(path: Path) -> bytes:
    check_key_file_mode(path)
    return parse_secret(path.read_text(encoding="ascii", errors="replace"), str(path))


def write_key_file(path: Path, secret: bytes, *, replace: bool = False) -> None:
    """Write a key file with mode 0600, durably: temp file, fsync, then link/rename into place.

    Without `replace`, an existing file is never overwritten (FileExistsError).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (encode_secret(secret) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the path exists: never clobber a key
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


def copy_key_file(src: Path, dst: Path) -> None:
    write_key_file(dst, read_key_file(src))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class SecretSource:
    secret: bytes
    origin: str  # "env" or "file"
    path: Path | None = None
    created: bool = False

    def __repr__(self) -> str:
        return f"SecretSource(origin={self.origin!r}, path={str(self.path) if self.path else None!r}, created={self.created})"


def find_secret(key_file: Path, *, allow_create: bool, env: dict[str, str] | None = None) -> SecretSource:
    """The secret from env BOT_SECRET_KEY, else the key file; create the file only if allowed."""
    env = os.environ if env is None else env
    value = env.get(ENV_SECRET)
    if value is not None and value.strip():
        return SecretSource(parse_secret(value, f"environment variable {ENV_SECRET}"), "env")
    if key_file.exists():
        return SecretSource(read_key_file(key_file), "file", key_file)
    if not allow_create:
        raise MissingKeyError(
            f"No secret key: {ENV_SECRET} is not set and {key_file} does not exist, but the "
            "database already holds data. Restore the key file (or set the variable) that was "
            "used to create it; starting with a new key would make the stored data unreadable "
            "and every pseudonym different.")
    secret = generate_secret()
    try:
        write_key_file(key_file, secret)
    except FileExistsError:  # another process created it first: use theirs
        return SecretSource(read_key_file(key_file), "file", key_file)
    return SecretSource(secret, "file", key_file, created=True)


# --------------------------------------------------------------------------- the keyring

def _hkdf(secret: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"ipnb-reflective-bot/v1", info=info).derive(secret)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


class Keyring:
    """Pseudonyms and the master key, derived from one secret. The secret is not kept."""

    __slots__ = ("_pseudo_key", "_master", "_check", "key_id")

    def __init__(self, secret: bytes):
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < SECRET_BYTES:
            raise MalformedKeyError(f"a secret key must be at least {SECRET_BYTES} bytes")
        secret = bytes(secret)
        # The pseudonym key starts as a derivation of the first secret. It must outlive key
        # rotation (a new pseudonym would orphan everyone's data and raw ids are never kept to
        # recompute them), so the store keeps it wrapped by the master key and `adopt_...`
        # loads it back after a rotation.
        self._pseudo_key = _hkdf(secret, b"pseudonym-hmac/v1")
        self._master = AESGCM(_hkdf(secret, b"master-key-wrap/v1"))
        self._check = hmac.new(_hkdf(secret, b"key-check/v1"), b"key check value", hashlib.sha256).hexdigest()
        self.key_id = "k_" + _b32(_hkdf(secret, b"key-id/v1", 10))

    def __repr__(self) -> str:
        return f"Keyring(key_id={self.key_id!r})"

    __str__ = __repr__

    def __reduce__(self):  # never pickled (would carry key material)
        raise TypeError("Keyring cannot be pickled")

    @property
    def check_value(self) -> str:
        """An HMAC-derived verifier of the secret, safe to store: it reveals nothing of the key."""
        return self._check

    def matches(self, check_value: str) -> bool:
        return hmac.compare_digest(self._check, check_value)

    def pseudonym(self, kind: str, raw: str | int) -> str:
        """A stable keyed pseudonym, domain-separated by kind (user/guild/channel/terminal...)."""
        if not _KIND_RE.match(kind):
            raise ValueError("pseudonym kind must be a short lowercase word")
        if raw is None or (isinstance(raw, str) and not raw):
            raise ValueError("pseudonym of an empty identifier")
        digest = hmac.new(self._pseudo_key, kind.encode() + b"\x00" + str(raw).encode("utf-8"), hashlib.sha256).digest()
        return f"{_PREFIX.get(kind, kind)}_{_b32(digest[:PSEUDONYM_BYTES])}"

    # the pseudonym key, kept wrapped in the database so it survives rotation
    def wrapped_pseudonym_key(self) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._master.encrypt(nonce, self._pseudo_key, _wrap_aad("meta:pseudonym_key", self.key_id))

    def adopt_pseudonym_key(self, blob: bytes) -> None:
        """Use the pseudonym key stored (wrapped under this master key) in the database."""
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_V1:
            raise DecryptError("malformed wrapped pseudonym key")
        try:
            self._pseudo_key = self._master.decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:],
                                                    _wrap_aad("meta:pseudonym_key", self.key_id))
        except InvalidTag:
            raise DecryptError("wrapped pseudonym key does not authenticate") from None

    def successor(self, new_secret: bytes) -> "Keyring":
        """A keyring with a new master key that keeps this keyring's pseudonyms."""
        new = Keyring(new_secret)
        new._pseudo_key = self._pseudo_key
        return new

    # envelope: person data keys wrapped by the master key
    def wrap(self, data_key: bytes, owner: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._master.encrypt(nonce, data_key, _wrap_aad(owner, self.key_id))

    def unwrap(self, blob: bytes, owner: str) -> bytes:
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_V1:
            raise DecryptError("malformed wrapped key")
        try:
            return self._master.decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:], _wrap_aad(owner, self.key_id))
        except InvalidTag:
            raise DecryptError("wrapped key does not authenticate") from None


def _wrap_aad(owner: str, key_id: str) -> bytes:
    return b"person_keys\x00" + owner.encode() + b"\x00" + key_id.encode()


# --------------------------------------------------------------------------- data keys

def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def row_aad(table: str, row_id: str, owner: str, extra: str = "") -> bytes:
    """Associated data binding a ciphertext to its table, row and owner (so it cannot be moved)."""
    return "\x00".join((table, row_id, owner, extra)).encode("utf-8")


class DataKey:
    """One person's data key: seals and opens their rows, tags their case pseudonyms."""

    __slots__ = ("_aead", "_index")

    def __init__(self, key: bytes):
        self._aead = AESGCM(key)
        self._index = _hkdf(key, b"case-index/v1")

    def __repr__(self) -> str:
        return "DataKey(...)"

    def __reduce__(self):
        raise TypeError("DataKey cannot be pickled")

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        # A fresh random 96-bit nonce from OpenSSL's CSPRNG (reseeded on fork). Not os.urandom:
        # that is a system call which lets go of the interpreter lock, and every turn seals once,
        # so the store's writer thread would take the lock from the event loop on each turn.
        nonce = ssl.RAND_bytes(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        if not isinstance(blob, (bytes, bytearray)) or len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_V1:
            raise DecryptError("malformed ciphertext")
        try:
            return self._aead.decrypt(bytes(blob[1:1 + NONCE_BYTES]), bytes(blob[1 + NONCE_BYTES:]), aad)
        except InvalidTag:
            raise DecryptError("ciphertext does not authenticate") from None

    def case_tag(self, case: str) -> str:
        """A keyed tag of a case pseudonym (normalised), so filtering never needs it in clear."""
        norm = " ".join(case.split()).casefold()
        # surrogatepass: a broken character in a case label must tag, not crash the save
        return _b32(hmac.new(self._index, norm.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()[:16])
