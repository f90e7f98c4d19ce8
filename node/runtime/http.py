"""EDGE: the listening socket, with per-client limits aiohttp does not have on its own.

- A client has `client_timeout` seconds to send a request's line and headers on a new or
  idle connection (aiohttp's keep-alive timer, which since 3.10 also runs before the first
  request), and again as long for its body (node.web.middleware); an idle keep-alive
  connection is closed after as long.
- At most `max_connections` connections are open per serving process; one more is
  answered `503` with `Retry-After` and closed at once, before anything is parsed.
- The process's open-file limit is raised to its hard limit, so the cap is reached before
  the descriptors run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import signal

import structlog
from aiohttp import web

log = structlog.get_logger(__name__)
SHUTDOWN_TIMEOUT = 10.0
LINGER = 2.0

_BUSY_BODY = json.dumps(
    {
        "error": "too_many_connections",
        "message": "too many open connections; try again shortly",
        "status": 503,
    }
).encode()
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 5\r\nConnection: close\r\nContent-Length: "
    + str(len(_BUSY_BODY)).encode()
    + b"\r\n\r\n"
    + _BUSY_BODY
)


class _Busy(asyncio.Protocol):
    """A connection over the cap: one 503, then closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP
        transport.write(_BUSY)
        transport.close()


class LimitedSite(web.TCPSite):
    """A TCP site that refuses connections beyond `max_connections`."""

    def __init__(
        self, runner: web.AppRunner, host: str, port: int, *, max_connections: int
    ) -> None:
        super().__init__(runner, host, port)
        self._max_connections = max_connections
        self.refused = 0

    async def start(self) -> None:
        self._runner._reg_site(self)
        server = self._runner.server
        assert server is not None  # noqa: S101 - set up by runner.setup()

        def protocol() -> asyncio.Protocol:
            if len(server.connections) >= self._max_connections:
                self.refused += 1
                if self.refused == 1 or self.refused % 1000 == 0:
                    log.warning(
                        "connections_refused",
                        open=len(server.connections),
                        refused=self.refused,
                    )
                return _Busy()
            return server()

        self._server = await asyncio.get_running_loop().create_server(
            protocol,
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
        )


def raise_open_file_limit() -> int:
    """Raise the soft limit on open files to the hard one; returns the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


async def serve(
    app: web.Application,
    *,
    host: str,
    port: int,
    client_timeout: float,
    max_connections: int,
) -> None:
    """Serve `app` until SIGINT or SIGTERM, then shut down gracefully.

    Raises:
        OSError: the address cannot be listened on.
    """
    files = raise_open_file_limit()
    if files < max_connections + 256:
        log.warning("open_file_limit_low", limit=files, max_connections=max_connections)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        keepalive_timeout=client_timeout,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        # after an answer to a request whose body was not read to its end (a 408, a
        # 413), drain it this long at most, then close
        lingering_time=LINGER,
    )
    await runner.setup()
    try:
        await LimitedSite(runner, host, port, max_connections=max_connections).start()
        log.info("listening", host=host, port=port, max_connections=max_connections)
        await stop.wait()
    finally:
        await runner.cleanup()
