"""Where an uploaded file of values waits between its preview and its import.

The browser never carries the file, its rows or its path between the two steps: the file
is kept on the server, in a folder of the system's temporary directory named by a hash of
the session and of a random key. The page carries only the key; a key is of no use to
another session (its folder is another), nor after sign-out, nor after :data:`KEPT`
(each upload sweeps away the folders older than that). The file is named by what its
bytes are (a zip: ``.xlsx``; anything else: ``.csv``, which the reader refuses when it
is not text), never by what the browser said it was.

The largest file taken is ``QMS_UPLOAD_MAX_BYTES`` (5 MB by default: a year of values of
every indicator is well under 1 MB), refused before its body is read
(:mod:`qms.web.limits`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

KEPT = 3600  # seconds an upload waits for its import
ROOT_NAME = "qms-uploads"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SAFE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class Upload:
    key: str
    path: Path  # the file, named by its content (.csv or .xlsx)
    name: str  # the name the person's file had, for the page and the trail


def root() -> Path:
    return Path(tempfile.gettempdir()) / ROOT_NAME


def _own_root() -> Path:
    """The folder of uploads, made private to this user (never another's, nor a link)."""
    base = root()
    base.mkdir(mode=0o700, exist_ok=True)
    found = base.lstat()
    if stat.S_ISLNK(found.st_mode) or found.st_uid != os.getuid():
        raise RuntimeError(f"{base} belongs to someone else: uploads are not kept there")
    return base


def kind_of(data: bytes) -> str:
    """``.xlsx`` for a zip (the reader checks it holds a workbook), ``.csv`` otherwise (the
    reader checks it is text, and says what it is instead: a PDF, an image, an .xls...)."""
    return ".xlsx" if data.startswith(b"PK\x03\x04") else ".csv"


def shown_name(filename: str | None) -> str:
    """The file's own name, cut to its last part and to characters safe anywhere."""
    base = Path((filename or "").replace("\\", "/")).name
    safe = _SAFE.sub("_", base).strip(" .")[:80]
    return safe or "values"


def keep(session: str, filename: str | None, data: bytes) -> Upload:
    """Keep ``data`` for the session whose token digest is ``session``; its key."""
    _own_root()
    sweep()
    key = secrets.token_urlsafe(24)
    folder = _folder(session, key)
    folder.mkdir(mode=0o700)
    name = shown_name(filename)
    path = folder / (Path(name).stem[:60] + kind_of(data))
    path.write_bytes(data)
    path.chmod(0o600)
    (folder / "meta.json").write_text(json.dumps({"name": name}), encoding="utf-8")
    return Upload(key, path, name)


def find(session: str, key: str) -> Upload | None:
    """The session's upload of that key, unless it is unknown, another's, or too old."""
    if not _KEY.match(key):
        return None
    folder = _folder(session, key)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        files = [p for p in folder.iterdir() if p.suffix in (".csv", ".xlsx")]
        age = time.time() - folder.stat().st_mtime
    except (OSError, ValueError):
        return None
    if len(files) != 1 or age > KEPT:
        drop(session, key)
        return None
    return Upload(key, files[0], str(meta.get("name") or files[0].name))


def write_reason(upload: Upload, reason: str) -> None:
    """The reason given for the corrections the file makes, kept beside it."""
    (upload.path.parent / "reason.txt").write_text(reason, encoding="utf-8")


def read_reason(upload: Upload) -> str:
    try:
        return (upload.path.parent / "reason.txt").read_text(encoding="utf-8")
    except OSError:
        return ""


def drop(session: str, key: str) -> None:
    if _KEY.match(key):
        shutil.rmtree(_folder(session, key), ignore_errors=True)


def sweep() -> None:
    """Remove the uploads older than :data:`KEPT` (never imported, or abandoned)."""
    base = root()
    if not base.is_dir():
        return
    limit = time.time() - KEPT
    for folder in base.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _folder(session: str, key: str) -> Path:
    slot = hashlib.sha256(f"{session}\n{key}".encode()).hexdigest()[:48]
    return root() / slot
