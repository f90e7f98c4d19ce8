"""EDGE: `serve --role all` runs extra `serve --role worker` processes, one event loop per
core, and restarts any that exits (with backoff); they stop before the database does.

A worker process shares the parent's database (the embedded PostgreSQL's DSN is passed as
DATABASE_URL) and queue; it stops by itself when its parent is gone (it watches its
parent's pid), so a parent killed outright leaves no worker behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from node.config import ENV_PREFIX, Settings
from node.runtime import appkeys

log = structlog.get_logger(__name__)
PARENT_ENV = ENV_PREFIX + "SUPERVISOR_PID"  # set in each worker: the pid to outlive not
STOP_GRACE = 15.0  # seconds a worker gets to finish its in-flight deliveries
MAX_BACKOFF = 60.0
STEADY = 60.0  # a worker that ran this long restarts at once after a crash


def worker_env(base: dict[str, str], *, dsn: str, metrics_port: int) -> dict[str, str]:
    """A worker's environment: the parent's, with its database, no workers of its own, and
    its own metrics port (0: none)."""
    env = dict(base)
    env.update(
        {
            "DATABASE_URL": dsn,
            ENV_PREFIX + "WORKER_PROCESSES": "0",
            ENV_PREFIX + "METRICS_PORT": str(metrics_port),
            PARENT_ENV: str(os.getpid()),
        }
    )
    return env


def metrics_port_of(settings: Settings, slot: int) -> int:
    """Where worker `slot` (1, 2, …) serves its metrics on 127.0.0.1: `metrics_port` + slot
    (Prometheus scrapes each process), a free port when only `metrics_token` is set (the
    token endpoint adds its counters to the parent's), else none."""
    if settings.metrics_port:
        return settings.metrics_port + slot
    if settings.metrics_token:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            return port
    return 0


def worker_argv(config: Path | None) -> list[str]:
    argv = [sys.executable, "-m", "node"]
    if config is not None:
        argv += ["--config", str(config)]
    return [*argv, "serve", "--role", "worker"]


async def _supervise(
    slot: int, argv: list[str], env: dict[str, str], stop: asyncio.Event
) -> None:
    """Keep worker `slot` running until `stop`; then SIGTERM it (SIGKILL after STOP_GRACE)."""
    loop = asyncio.get_running_loop()
    backoff = 1.0
    while not stop.is_set():
        proc = await asyncio.create_subprocess_exec(*argv, env=env)
        started = loop.time()
        log.info(
            "worker_process_started",
            slot=slot,
            pid=proc.pid,
            metrics_port=int(env[ENV_PREFIX + "METRICS_PORT"]),
        )
        exited = asyncio.ensure_future(proc.wait())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            exited.cancel()
            await _end(proc)
            return
        stopping.cancel()
        if loop.time() - started >= STEADY:
            backoff = 1.0
        log.warning(
            "worker_process_exited",
            slot=slot,
            pid=proc.pid,
            code=proc.returncode,
            restart_in=backoff,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=backoff)
        backoff = min(backoff * 2, MAX_BACKOFF)


async def _end(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=STOP_GRACE)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    log.info("worker_process_stopped", pid=proc.pid, code=proc.returncode)


def spawned_workers_ctx(
    count: int, config: Path | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that runs `count` worker processes for the app's lifetime (append
    it after the database context: it needs the DSN, and stops before the database)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings, stop = app[appkeys.SETTINGS], asyncio.Event()
        argv = worker_argv(config)
        ports = {slot: metrics_port_of(settings, slot) for slot in range(1, count + 1)}
        app[appkeys.WORKER_METRICS] = {slot: p for slot, p in ports.items() if p}
        tasks = [
            asyncio.create_task(
                _supervise(
                    slot,
                    argv,
                    worker_env(
                        dict(os.environ), dsn=app[appkeys.DSN], metrics_port=port
                    ),
                    stop,
                )
            )
            for slot, port in ports.items()
        ]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    return ctx


async def watch_parent(
    stop: asyncio.Event, env: dict[str, str] | Any = os.environ
) -> None:
    """In a worker started by a supervisor: set `stop` once the parent is gone."""
    parent = env.get(PARENT_ENV)
    if not parent:
        return
    while not stop.is_set():
        if os.getppid() != int(parent):
            log.warning("supervisor_gone", parent=parent)
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
