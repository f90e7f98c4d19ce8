"""One runner for every background loop: rounds of work, a wait between them, and
supervision (an exception is logged and counted, and the loop goes on after a backoff;
nothing but the stop event ends it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from federation import retry

log = structlog.get_logger(__name__)

Round = Callable[
    [], Awaitable[float]
]  # one round of work -> seconds to wait (0: go on)


@dataclass(slots=True)
class LoopState:
    """What /metrics shows of a loop: whether it runs, and how often it failed."""

    name: str
    running: bool = False
    errors: int = 0
    last_error: str | None = field(default=None)


async def _wait(
    stop: asyncio.Event, wakeup: asyncio.Event | None, seconds: float
) -> None:
    """Sleep `seconds`, or less when `stop` or `wakeup` is set."""
    events = [stop] if wakeup is None else [stop, wakeup]
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED), seconds
            )
    finally:
        for waiter in waiters:
            waiter.cancel()


async def run(
    state: LoopState,
    round_: Round,
    stop: asyncio.Event,
    *,
    wakeup: asyncio.Event | None = None,
    first_wait: float = 0.0,
    on_error: Callable[[str], None] | None = None,
) -> None:
    """Run `round_` until `stop` is set. `wakeup` is cleared before each round (a set
    after that starts the next one early). Any exception from a round is logged, counted
    (`on_error(name)`) and followed by federation.retry.LOOP's backoff."""
    state.running = True
    failures = 0
    try:
        if first_wait > 0:
            await _wait(stop, None, first_wait)
        while not stop.is_set():
            if wakeup is not None:
                wakeup.clear()
            try:
                wait = await round_()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - a background loop survives anything
                failures += 1
                wait = retry.LOOP.delay(failures)
                state.errors += 1
                state.last_error = f"{exc.__class__.__name__}: {exc}"
                log.warning(
                    "background_loop_error",
                    loop=state.name,
                    error=state.last_error,
                    retry_in=wait,
                )
                if on_error is not None:
                    on_error(state.name)
            if wait > 0 and not stop.is_set():
                await _wait(stop, wakeup if failures == 0 else None, wait)
    finally:
        state.running = False
