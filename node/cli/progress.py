"""Progress for CLI steps that can take a while (a dump, a restore, an export): a line when
the step starts, then, on a terminal, the seconds elapsed every two seconds, and a line with
its duration when it ends. Written to stderr, so stdout stays the command's output."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO

TICK = 2.0


@asynccontextmanager
async def progress(what: str, stream: TextIO | None = None) -> AsyncIterator[None]:
    out = stream or sys.stderr
    started = time.monotonic()
    print(f"{what}…", file=out, flush=True)

    async def tick() -> None:
        while True:
            await asyncio.sleep(TICK)
            print(
                f"\r{what}… {time.monotonic() - started:.0f} s",
                end="",
                file=out,
                flush=True,
            )

    ticker = asyncio.create_task(tick()) if out.isatty() else None
    outcome = "failed after"
    try:
        yield
        outcome = "done in"
    finally:
        if ticker is not None:
            ticker.cancel()
            print(file=out)
        elapsed = time.monotonic() - started
        print(f"{what}: {outcome} {elapsed:.1f} s", file=out, flush=True)
