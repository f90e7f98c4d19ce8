"""create_app(settings): the aiohttp application with its resources and routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web

from federation.fetch.client import Fetcher, create_session
from node.clock import utcnow
from node.config import Settings
from node.domain.actors import INSTANCE_NAME
from node.media.stores import open_store
from node.runtime import appkeys, loops
from node.runtime.database import POOL_SIZE as POOL_SIZE, open_node_database
from node.runtime.metrics import Metrics, metrics_site_ctx
from node.runtime.ratelimit import Limits, RateLimiter
from node.runtime.worker import listener_round, worker_ctx
from node.services.actor_documents import ActorDocuments
from node.services.actors import signing_key
from node.services.context import Context
from node.services.domain_policy import DomainPolicy
from node.services.inbox_writer import InboxWriter
from node.services.outbox_pages import OutboxPages
from node.services.remote import RemoteActors, keys_dropper
from node.storage import db
from node.storage.channels import Channel, Listener
from node.web.middleware import request_context
from node.web.pages import setup_templates
from node.web.principal import audit_trail
from node.web.routes import setup_routes

log = structlog.get_logger(__name__)
MAX_BODY = 1024 * 1024  # 1 MiB, Mastodon's MAX_JSON_SIZE


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    async with open_node_database(app[appkeys.SETTINGS]) as (dsn, pool):
        app[appkeys.DSN], app[appkeys.DB] = dsn, pool
        app[appkeys.INBOX_WRITER] = InboxWriter(
            pool, observe=app[appkeys.METRICS].inbox_batch.observe
        )
        yield


async def federation_ctx(app: web.Application) -> AsyncIterator[None]:
    """The one outgoing HTTP session, the safe fetcher (signing as the instance actor), the remote cache."""
    settings = app[appkeys.SETTINGS]
    session = create_session(allow_private=settings.allow_private_network)
    instance_key = [await signing_key(app[appkeys.DB], settings.url, INSTANCE_NAME)]

    async def reload_instance_key() -> None:
        instance_key[0] = await signing_key(
            app[appkeys.DB], settings.url, INSTANCE_NAME
        )

    reloads: set[asyncio.Task[None]] = set()

    def on_key_rotated(*_: Any) -> None:
        task = asyncio.create_task(reload_instance_key())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    policy = app[appkeys.DOMAIN_POLICY] = DomainPolicy(app[appkeys.DB])
    documents = app[appkeys.ACTOR_DOCUMENTS]

    def on_keys(*args: Any) -> None:
        documents.invalidate()
        on_key_rotated(*args)

    listener = Listener(
        app[appkeys.DSN],
        {
            Channel.KEYS: on_keys,
            Channel.DOMAINS: policy.invalidate,
            Channel.OUTBOX: app[appkeys.OUTBOX_PAGES].invalidate,
            Channel.REMOTE_KEYS: keys_dropper(lambda: app.get(appkeys.REMOTE)),
        },
    )
    stop = asyncio.Event()
    listening = asyncio.create_task(
        loops.run(loops.LoopState("web_listener"), listener_round(listener, stop), stop)
    )
    app[appkeys.HTTP] = session
    app[appkeys.FETCHER] = Fetcher(
        session,
        lambda: instance_key[0],
        allow_private=settings.allow_private_network,
        clock=app[appkeys.CLOCK],
    )
    app[appkeys.REMOTE] = RemoteActors(
        app[appkeys.DB],
        app[appkeys.FETCHER],
        base_url=settings.url,
        allow_private=settings.allow_private_network,
        clock=app[appkeys.CLOCK],
    )
    app[appkeys.CONTEXT] = Context(
        settings.url, app[appkeys.REMOTE], clock=app[appkeys.CLOCK]
    )
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait([listening], timeout=10)
        await session.close()


async def media_ctx(app: web.Application) -> AsyncIterator[None]:
    """The media store (a directory, or an S3 client held open) for the app's life."""
    settings = app[appkeys.SETTINGS]
    async with open_store(
        directory=settings.media_path,
        s3_bucket=settings.media_s3_bucket,
        s3_endpoint=settings.media_s3_endpoint,
        s3_region=settings.media_s3_region,
    ) as store:
        app[appkeys.MEDIA] = store
        yield


def create_app(
    settings: Settings, *, clock: Callable[[], datetime] = utcnow, role: str = "all"
) -> web.Application:
    """Build the application; resources start when the app starts."""
    app = web.Application(
        middlewares=[request_context, audit_trail], client_max_size=MAX_BODY
    )
    app[appkeys.SETTINGS] = settings
    app[appkeys.CLOCK] = clock
    app[appkeys.METRICS] = Metrics()
    app[appkeys.WRITE_FAILURES] = db.WriteFailures()
    app[appkeys.ACTOR_DOCUMENTS] = ActorDocuments()
    app[appkeys.OUTBOX_PAGES] = OutboxPages()
    app[appkeys.LIMITS] = Limits(
        inbox_actor=RateLimiter(settings.rate_inbox_actor),
        inbox_host=RateLimiter(settings.rate_inbox_host),
        failed_auth=RateLimiter(settings.rate_failed_auth),
    )
    app.cleanup_ctx.append(database_ctx)
    if settings.metrics_port:
        app.cleanup_ctx.append(metrics_site_ctx(settings.metrics_port))
    app[appkeys.INBOX_WAKEUP] = asyncio.Event()
    app.cleanup_ctx.append(federation_ctx)
    app.cleanup_ctx.append(media_ctx)
    if role in ("all", "worker"):
        app.cleanup_ctx.append(worker_ctx)
    setup_templates(app)
    setup_routes(app)
    return app
