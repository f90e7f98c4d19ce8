"""A real TCP proxy on loopback in front of the test PostgreSQL, that a test freezes (every
connection stays open and no byte passes: a half-open database) or cuts (every connection
is closed and new ones are refused, and what was sent meanwhile never reaches the server:
a database that went away) to make the database sick."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs, urlsplit

from tests.conftest import free_port


class FreezableProxy:
    """TCP on 127.0.0.1 -> PostgreSQL's unix socket; `frozen` holds every byte, `down`
    (set by cut(), cleared by restore()) drops them and the connections."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.frozen = asyncio.Event()
        self.down = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.port = free_port()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                if self.down.is_set():
                    break
                while self.frozen.is_set():  # half-open: hold the bytes, answer nothing
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self.down.is_set():
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_unix_connection(self.socket_path)
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer)),
            asyncio.create_task(self._pipe(up_reader, writer)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def cut(self) -> None:
        """The database goes away: every connection closed, new ones refused."""
        self.down.set()
        for task in list(self._tasks):
            task.cancel()

    def restore(self) -> None:
        self.down.clear()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self._tasks):
            task.cancel()


def through(proxy: FreezableProxy, dsn: str) -> str:
    parts = urlsplit(dsn)
    return f"postgresql://{parts.username or 'postgres'}@127.0.0.1:{proxy.port}{parts.path}"


async def start_proxy(dsn: str) -> tuple[FreezableProxy, str]:
    """A started proxy to the database of `dsn`, and the DSN that goes through it."""
    parts = urlsplit(dsn)
    socket_dir = parse_qs(parts.query)["host"][0]
    proxy = FreezableProxy(f"{socket_dir}/.s.PGSQL.{parts.port or 5432}")
    await proxy.start()
    return proxy, through(proxy, dsn)
