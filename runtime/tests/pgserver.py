"""A throwaway PostgreSQL server on 127.0.0.1 for tests, driven by scripts/postgres.sh.

Reusable by any of the project's Python test suites::

    from pgserver import PostgresServer  # with runtime/tests on sys.path
    with PostgresServer.start() as pg:
        psycopg.connect(pg.dsn)

The bash functions do the work (find or install the binaries, initdb as the
`postgres` user when running as root, start, stop), so the Node rehearsal
and these tests start servers the same way.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(os.environ.get("PM_ROOT") or Path(__file__).resolve().parents[2])
PASSWORD = "pm-test-secret"


class PostgresUnavailable(RuntimeError):
    """A PostgreSQL server could not be provisioned, started or stopped."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """One running server; ``dsn`` connects as the superuser with password authentication."""

    directory: Path
    port: int
    password: str = PASSWORD

    @classmethod
    def start(cls) -> PostgresServer:
        """Create a data directory under the system temp dir and start a server on a free port."""
        # Not pytest's tmp_path: its parents are private to root, and the
        # server runs as `postgres` when the tests run as root.
        directory = Path(tempfile.mkdtemp(prefix="pm-pg-"))
        server = cls(directory, free_port())
        try:
            server.run("pm_pg_start", str(directory), str(server.port))
        except PostgresUnavailable:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        return server

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the server, keeping its data directory (``restart`` brings it back)."""
        self.run("pm_pg_stop", str(self.directory))

    def restart(self) -> None:
        self.run("pm_pg_start", str(self.directory), str(self.port))

    def remove(self) -> None:
        """Stop the server and delete its data directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def run(self, function: str, *args: str) -> None:
        """Run one function of scripts/postgres.sh."""
        script = (
            'set -euo pipefail; source "$PM_ROOT/scripts/toolchain.sh"; '
            'source "$PM_ROOT/scripts/postgres.sh"; "$@"'
        )
        env = {**os.environ, "PM_ROOT": str(REPO_ROOT), "PM_PG_PASSWORD": self.password}
        done = subprocess.run(
            ["bash", "-c", script, "postgres.sh", function, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"scripts/postgres.sh {function} {' '.join(args)} failed "
                f"(exit {done.returncode}):\n{done.stderr.strip()}"
            )

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()
