"""Every web.AppKey of the application, declared once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp
import asyncpg
from aiohttp import web

from federation.delivery.worker import DeliveryWorker
from federation.fetch.client import Fetcher
from node.config import Settings
from node.media.stores import MediaStore
from node.runtime.ratelimit import Limits
from node.services.actor_documents import ActorDocuments
from node.services.context import Context
from node.services.domain_policy import DomainPolicy
from node.services.inbox_writer import InboxWriter
from node.services.outbox_pages import OutboxPages
from node.services.remote import RemoteActors
from node.storage.db import WriteFailures

if TYPE_CHECKING:
    from node.runtime.metrics import Metrics  # noqa: F401 (named in METRICS below)

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", asyncpg.Pool)
DSN = web.AppKey("dsn", str)
CLOCK = web.AppKey[Callable[[], datetime]]("clock")
HTTP = web.AppKey("http", aiohttp.ClientSession)
FETCHER = web.AppKey("fetcher", Fetcher)
REMOTE = web.AppKey("remote", RemoteActors)
LIMITS = web.AppKey("limits", Limits)
CONTEXT = web.AppKey("context", Context)  # base URL, remote actors, clock
INBOX_WAKEUP = web.AppKey("inbox_wakeup", asyncio.Event)
INBOX_WRITER = web.AppKey(
    "inbox_writer", InboxWriter
)  # group commit of accepted activities
DELIVERY_WORKER = web.AppKey("delivery_worker", DeliveryWorker)
METRICS = web.AppKey["Metrics"](
    "metrics"
)  # by name: node.runtime.metrics imports this module
# slot -> 127.0.0.1 port where each worker process `serve` started serves its metrics
WORKER_METRICS = web.AppKey[dict[int, int]]("worker_metrics")
WRITE_FAILURES = web.AppKey("write_failures", WriteFailures)
DOMAIN_POLICY = web.AppKey("domain_policy", DomainPolicy)  # cached block/allow lists
ACTOR_DOCUMENTS = web.AppKey(
    "actor_documents", ActorDocuments
)  # served actor documents
OUTBOX_PAGES = web.AppKey("outbox_pages", OutboxPages)  # served outbox pages
MEDIA = web.AppKey[MediaStore]("media")  # where uploaded images' bytes live
