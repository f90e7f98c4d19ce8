from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import structlog
from aiohttp.test_utils import TestClient

from tests.conftest import admin_exec

pytestmark = pytest.mark.db


async def test_healthz_ok(make_client: Callable[..., Any]) -> None:
    client: TestClient[Any, Any] = await make_client()
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "ok", "database": "ok"}


async def test_healthz_503_while_database_unreachable_then_recovers(
    make_client: Callable[..., Any], pg_dsn: str, db_dsn: str
) -> None:
    client: TestClient[Any, Any] = await make_client()
    name = urlsplit(db_dsn).path.lstrip("/")
    assert (await client.get("/healthz")).status == 200
    await admin_exec(pg_dsn, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    await admin_exec(
        pg_dsn,
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
    )
    resp = await client.get("/healthz")
    assert resp.status == 503
    assert await resp.json() == {"status": "degraded", "database": "unreachable"}
    await admin_exec(pg_dsn, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    resp = await client.get("/healthz")
    assert resp.status == 200


async def test_unknown_path_is_404_with_json_body(
    make_client: Callable[..., Any],
) -> None:
    client: TestClient[Any, Any] = await make_client()
    resp = await client.get("/no/such/thing", headers={"Accept": "application/json"})
    assert resp.status == 404
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert body["error"] == "not_found"
    assert body["message"] == "Not Found"


async def test_every_request_is_logged_with_id_status_and_duration(
    make_client: Callable[..., Any],
) -> None:
    client: TestClient[Any, Any] = await make_client()
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        resp = await client.get("/healthz", headers={"X-Request-Id": "abcdef123456"})
    assert resp.headers["X-Request-Id"] == "abcdef123456"
    events = [e for e in logs if e["event"] == "request"]
    assert len(events) == 1
    assert events[0]["status"] == 200
    assert events[0]["method"] == "GET"
    assert events[0]["path"] == "/healthz"
    assert events[0]["request_id"] == "abcdef123456"
    assert isinstance(events[0]["duration_ms"], float)
