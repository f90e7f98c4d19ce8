"""Prometheus metrics: counters kept in-process, and gauges read from PostgreSQL at scrape
time (so every process shows the shared queue). No per-host or per-actor labels: their
cardinality is unbounded, and they would expose who federates with whom."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import aiohttp
import asyncpg
import structlog
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from node.runtime import appkeys
from node.runtime.loops import LoopState
from node.storage import relays, status

log = structlog.get_logger(__name__)


class Metrics:
    """One registry per application (tests run several nodes in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "movement_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "movement_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["route"],
            registry=r,
        )
        self.inbox = Counter(
            "movement_inbox_activities",
            "Activities POSTed to inboxes: accepted, duplicate, or rejected (with why)",
            ["result", "reason"],
            registry=r,
        )
        self.inbox_batch = Histogram(
            "movement_inbox_batch_size",
            "Received activities stored by one INSERT (group commit: those that arrived"
            " while the previous one was on its way)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=r,
        )
        self.deliveries = Counter(
            "movement_deliveries",
            "Delivery attempts by outcome (delivered, retried, gone, dead) and class of "
            "answer (2xx, 4xx, 429, 5xx, timeout, connection, refused)",
            ["outcome", "answer"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "movement_delivery_queue_depth",
            "Deliveries waiting or in flight",
            registry=r,
        )
        self.oldest_pending = Gauge(
            "movement_delivery_oldest_pending_seconds",
            "Age of the oldest delivery not yet done",
            registry=r,
        )
        self.dead = Gauge(
            "movement_dead_deliveries", "Deliveries given up (dead letters)", registry=r
        )
        self.inbox_pending = Gauge(
            "movement_inbox_pending",
            "Stored inbox activities still to be processed (new, or failed and due again)",
            registry=r,
        )
        self.inbox_failed = Gauge(
            "movement_inbox_failed",
            "Stored inbox activities whose processing gave up (movement-node inbox failed)",
            registry=r,
        )
        self.breakers = Gauge(
            "movement_circuit_breakers",
            "Remote hosts by circuit-breaker state (open: not tried until a probe)",
            ["state"],
            registry=r,
        )
        self.relays = Gauge(
            "movement_relays",
            "Relay subscriptions of the instance actor by state (pending, accepted, rejected)",
            ["state"],
            registry=r,
        )
        self.relay_received = Gauge(
            "movement_relay_objects_received",
            "Public movement objects kept that relays brought (each read from its origin)",
            registry=r,
        )
        self.relay_queued = Gauge(
            "movement_relay_deliveries_queued",
            "Deliveries waiting or in flight to relays",
            registry=r,
        )
        self.pool = Gauge(
            "movement_db_pool_connections",
            "Database pool connections (in_use, idle, max)",
            ["state"],
            registry=r,
        )

        self.rate_limited = Counter(
            "movement_rate_limited",
            "Requests answered 429 by the node's own limits, by what was limited "
            "(inbox_actor, inbox_host, failed_auth, key_fetch)",
            ["scope"],
            registry=r,
        )
        self.loop_errors = Counter(
            "movement_background_loop_errors",
            "Exceptions raised by a round of a background loop (each loop goes on after a backoff)",
            ["loop"],
            registry=r,
        )
        self.loops_running = Gauge(
            "movement_background_loops_running",
            "Background loops of this process that are running (1) or not (0)",
            ["loop"],
            registry=r,
        )
        self._loops: list[LoopState] = []

    def watch_loops(self, states: Iterable[LoopState]) -> None:
        """Report these loops (of this process) at each scrape."""
        self._loops = list(states)

    def record_loop_error(self, loop: str) -> None:
        self.loop_errors.labels(_loop_family(loop)).inc()

    def record_delivery(
        self, outcome: str, status: int | None, error: str | None
    ) -> None:
        self.deliveries.labels(outcome, answer_class(status, error)).inc()

    async def refresh(self, pool: asyncpg.Pool[Any]) -> None:
        """Read the shared state (queue, inbox, breakers) from PostgreSQL."""
        row = await status.queues(pool)
        if row is None:  # pragma: no cover - a SELECT of aggregates always has a row
            return
        self.queue_depth.set(row["depth"])
        self.oldest_pending.set(float(row["oldest"]))
        self.dead.set(row["dead"])
        self.inbox_pending.set(row["inbox"])
        self.inbox_failed.set(row["inbox_failed"])
        self.breakers.labels("open").set(row["open"])
        self.breakers.labels("failing").set(row["failing"])
        relay_row = await relays.counts(pool)
        if relay_row is not None:
            for label in ("pending", "accepted", "rejected"):
                self.relays.labels(label).set(relay_row[label])
            self.relay_received.set(relay_row["received"])
            self.relay_queued.set(relay_row["queued"])
        running: dict[str, int] = {}
        for state in self._loops:
            family = _loop_family(state.name)
            running[family] = running.get(family, 0) + int(state.running)
        for family, count in running.items():
            self.loops_running.labels(family).set(count)
        size, idle = pool.get_size(), pool.get_idle_size()
        self.pool.labels("in_use").set(size - idle)
        self.pool.labels("idle").set(idle)
        self.pool.labels("max").set(pool.get_max_size())


def _loop_family(name: str) -> str:
    """`inbox_2` -> `inbox`: one label per kind of loop, whatever their number."""
    return name.rstrip("0123456789").rstrip("_") or name


def answer_class(status: int | None, error: str | None) -> str:
    if status is not None:
        if status == 429:
            return "429"
        return f"{status // 100}xx"
    text = (error or "").lower()
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if "refused" in text and "fetch" in text:
        return "refused"
    return "connection"


def route_of(request: web.Request) -> str:
    """The route template (`/actors/{name}/inbox`), never the raw path."""
    resource = request.match_info.route.resource
    return "unmatched" if resource is None else resource.canonical


class _Families:
    """A collector that yields metric families as they are (to render merged ones)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def merge_expositions(own: bytes, others: Iterable[str]) -> bytes:
    """`own` exposition with the counters and histograms of `others` (other processes of
    the node) added sample by sample; gauges stay `own`'s (they are read from the shared
    database, or describe this process)."""
    families = {f.name: f for f in text_string_to_metric_families(own.decode())}
    for text in others:
        for family in text_string_to_metric_families(text):
            base = families.get(family.name)
            if base is None or family.type not in ("counter", "histogram"):
                continue
            at = {
                (s.name, tuple(sorted(s.labels.items()))): i
                for i, s in enumerate(base.samples)
            }
            for sample in family.samples:
                i = at.get((sample.name, tuple(sorted(sample.labels.items()))))
                if i is None:
                    base.samples.append(sample)
                else:
                    base.samples[i] = base.samples[i]._replace(
                        value=base.samples[i].value + sample.value
                    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families.values()))
    return generate_latest(registry)


async def _scrape(ports: Iterable[int]) -> list[str]:
    """The expositions of this node's worker processes on 127.0.0.1 (one that does not
    answer in time, restarting say, is left out)."""

    async def one(session: aiohttp.ClientSession, port: int) -> str | None:
        try:
            async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                return await resp.text() if resp.status == 200 else None
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("worker_metrics_unavailable", port=port, error=str(exc))
            return None

    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        texts = await asyncio.gather(*(one(session, port) for port in ports))
    return [t for t in texts if t is not None]


async def _exposition(
    request: web.Request, *, with_workers: bool = False
) -> web.Response:
    metrics = request.app[appkeys.METRICS]
    await metrics.refresh(request.app[appkeys.DB])
    body = generate_latest(metrics.registry)
    workers = request.app.get(appkeys.WORKER_METRICS) if with_workers else None
    if workers:
        body = merge_expositions(body, await _scrape(workers.values()))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def metrics_with_token(request: web.Request) -> web.Response:
    """GET /metrics on the public port: only with `Authorization: Bearer <metrics_token>`;
    404 when no token is configured (metrics are off the public internet by default). The
    counters include those of the worker processes `serve` started."""
    expected = request.app[appkeys.SETTINGS].metrics_token
    if expected is None:
        raise web.HTTPNotFound(reason="not found")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise web.HTTPUnauthorized(
            reason="metrics need the metrics token",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return await _exposition(request, with_workers=True)


def metrics_site_ctx(port: int) -> Callable[[web.Application], AsyncIterator[None]]:
    """A second listener on 127.0.0.1:`port` serving /metrics only (any role, no token:
    it is reachable from the machine itself only)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        side = web.Application()

        async def handler(request: web.Request) -> web.Response:
            return await _exposition(request)

        side[appkeys.METRICS] = app[appkeys.METRICS]
        side[appkeys.DB] = app[appkeys.DB]
        side.router.add_get("/metrics", handler)
        runner = web.AppRunner(side, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield
        finally:
            await runner.cleanup()

    return ctx
