"""Group commit for the inbox: accepted activities stored several to a statement.

Every activity that arrives while the writer's INSERTs are on their way waits for the next
one and goes with it: one statement, one transaction, one WAL flush and one NOTIFY for all
of them. Each caller still gets its answer only once its own activity is committed (a 202
is never given for an activity PostgreSQL does not hold). Under light load a batch is one
activity, sent at once; under heavy load batches grow by themselves to what arrives during
one round trip, and the database does a fraction of the work per activity.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import structlog

from node.storage import db, inbox
from node.storage.inbox import InboxRow

log = structlog.get_logger(__name__)

# what one row's content can make the INSERT raise (PostgreSQL's class 22, "data
# exception", or asyncpg's encoding of a parameter)
_ROW_ERRORS = (asyncpg.DataError, UnicodeError)

MAX_BATCH = 128  # activities to a statement
# statements on their way at once (the rest wait for one to return): one gave the most
# activities a second at 10, 50 and 200 senders (0.58/0.80/0.85 of the plain handler,
# against 0.53/0.69/0.81 with two): the batches grow larger and PostgreSQL commits fewer
IN_FLIGHT = 1


class InboxWriter:
    """Stores activities for many concurrent callers, batching those that overlap."""

    def __init__(
        self,
        pool: db.Pool,
        *,
        max_batch: int = MAX_BATCH,
        in_flight: int = IN_FLIGHT,
        observe: Callable[[int], object] = lambda size: None,
    ) -> None:
        """`observe`: told the size of each batch sent (a metric)."""
        self._pool = pool
        self._observe = observe
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._waiting: list[tuple[InboxRow, asyncio.Future[bool]]] = []
        self._sending = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.statements = 0  # for tests and benchmarks: INSERTs sent

    async def store(self, row: InboxRow) -> bool:
        """Store one activity; True once it is committed, False for a duplicate.

        Raises:
            What the INSERT raised (a sick database: the caller answers 503).
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self._waiting.append((row, done))
        if not self._scheduled and self._sending < self._in_flight:
            # at the end of this turn of the loop: what else arrived in it goes too
            self._scheduled = True
            loop.call_soon(self._send)
        return await done

    def _send(self) -> None:
        self._scheduled = False
        while self._waiting and self._sending < self._in_flight:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            self._sending += 1
            task = asyncio.create_task(self._commit(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _commit(self, batch: list[tuple[InboxRow, asyncio.Future[bool]]]) -> None:
        try:
            await self._insert(batch)
        except BaseException:  # cancelled (shutdown): no caller is left waiting
            for _, done in batch:
                done.cancel()
            raise
        finally:
            self._sending -= 1
            if self._waiting:
                self._send()

    async def _insert(self, batch: list[tuple[InboxRow, asyncio.Future[bool]]]) -> None:
        self.statements += 1
        self._observe(len(batch))
        try:
            outcome = await inbox.insert_many(self._pool, [row for row, _ in batch])
        except Exception as exc:  # noqa: BLE001 - every caller gets its own answer
            if len(batch) == 1 or not isinstance(exc, _ROW_ERRORS):
                for _, done in batch:
                    _settle(done, exc=exc)
                return
            # one row whose data the database refuses must not fail the others: each on
            # its own (anything else, a sick database first, fails the batch at once)
            log.warning("inbox_batch_failed", error=exc.__class__.__name__)
            for one in batch:
                await self._insert([one])
            return
        for (_, done), stored in zip(batch, outcome, strict=True):
            _settle(done, stored=stored)


def _settle(
    done: asyncio.Future[bool],
    *,
    stored: bool = False,
    exc: BaseException | None = None,
) -> None:
    if done.done():
        return
    if exc is not None:
        done.set_exception(exc)
    else:
        done.set_result(stored)
