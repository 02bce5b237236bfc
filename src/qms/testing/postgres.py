"""A throwaway PostgreSQL cluster for tests and benchmarks.

initdb refuses to run as root, so when we are root the cluster's commands run as
the ``postgres`` user (``runuser``).  The server listens on a Unix socket inside
its own temporary folder only (no TCP), and :meth:`stop` removes everything.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL


def find_bin_dir() -> Path | None:
    """The PostgreSQL server binaries: $QMS_PG_BIN, else the newest /usr/lib/postgresql/*/bin."""
    explicit = os.environ.get("QMS_PG_BIN")
    if explicit:
        return Path(explicit) if (Path(explicit) / "initdb").exists() else None
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    return Path(found[-1]).parent if found else None


class Cluster:
    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="qms-pg-"))
        self.data = self.root / "data"
        self.port = 5432
        self.user = "postgres"
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> Cluster:
        if self._as_root:
            shutil.chown(self.root, user="postgres", group="postgres")
        os.chmod(self.root, 0o700)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            self.user,
            "-E",
            "UTF8",
            "--no-locale",
        )
        options = [
            f"-k {self.root}",
            "-c listen_addresses=''",
            f"-p {self.port}",
            "-c max_connections=200",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            " ".join(options),
            "-w",
            "-l",
            str(self.root / "server.log"),
            "start",
        )
        return self

    def url(self, database: str = "postgres") -> str:
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            database=database,
            query={"host": str(self.root), "port": str(self.port)},
        ).render_as_string(hide_password=False)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
