"""The trail's signing keys: HMAC-SHA-256 keys kept in a file outside the database.

A hash chain without a secret can be recomputed by anyone who can write to the
database; a keyed one cannot, without the key.  The key file holds one key per line as
``KEY_ID:BASE64``; the last line is the key in use, the ones above it stay so that rows
signed before a rotation still verify.  Each history row and each seal names the id of
the key that signed it.  The file is created with mode 0600 on first use and refused
when others can read it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from qms.errors import ConfigError, TrailError

KEY_BYTES = 32
HEADER = "# qms trail keys: one KEY_ID:BASE64 per line, the last one signs; keep this file secret\n"


@dataclass(frozen=True)
class Keyring:
    path: Path
    keys: dict[str, bytes]
    active_id: str

    def sign(self, message: bytes, key_id: str | None = None) -> str:
        """The HMAC-SHA-256 of ``message`` under ``key_id`` (default: the key in use)."""
        key = self.keys.get(key_id or self.active_id)
        if key is None:
            raise TrailError(f"unknown trail key {key_id!r} (the key file {self.path} has "
                             f"{', '.join(self.keys)})")  # fmt: skip
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def knows(self, key_id: str) -> bool:
        return key_id in self.keys


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(b"qms-trail-key-id:" + key).hexdigest()[:12]


def load(path: Path, create: bool = True) -> Keyring:
    """The keyring in ``path``, created with one new key when it does not exist yet."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise ConfigError(f"the trail key file {path} does not exist")
        _create(path)
    info = path.stat()
    return _read(path.resolve(), info.st_mtime_ns, info.st_size, stat.S_IMODE(info.st_mode))


def rotate(path: Path) -> str:
    """Add a new key to ``path`` and make it the one in use; returns its id."""
    load(path)  # refuses a file others can read, creates a missing one
    key = secrets.token_bytes(KEY_BYTES)
    with open(path, "a", encoding="ascii") as out:
        out.write(_line(key))
    return key_id_of(key)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(HEADER + _line(secrets.token_bytes(KEY_BYTES)))


def _line(key: bytes) -> str:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{key_id_of(key)}:{base64.b64encode(key).decode('ascii')}  # added {created}\n"


@lru_cache(maxsize=8)
def _read(path: Path, mtime_ns: int, size: int, mode: int) -> Keyring:
    """The keyring in ``path``; cached for as long as the file and its mode stay the same."""
    if mode & 0o077:
        raise ConfigError(
            f"the trail key file {path} can be read by others (mode {mode:o}): "
            f"run `chmod 600 {path}`"
        )
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(path.read_text(encoding="ascii").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key_id, _, encoded = line.partition(":")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES or key_id_of(key) != key_id.strip():
            raise ConfigError(f"{path}:{number}: not a trail key (KEY_ID:BASE64 of 32 bytes)")
        keys[key_id.strip()] = key
    if not keys:
        raise ConfigError(f"{path}: holds no trail key")
    return Keyring(path, keys, next(reversed(keys)))
