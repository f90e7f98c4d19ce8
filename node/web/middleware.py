"""Request id and logging, error bodies, content negotiation for errors."""

from __future__ import annotations

import asyncio
import io
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from email.parser import BytesParser
from email.policy import HTTP
from html import escape
from typing import Any

import structlog
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from federation.errors import (
    FederationError,
)
from node.runtime import appkeys
from node.runtime.metrics import route_of
from node.storage import db

log = structlog.get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{8,64}")


def wants_html(request: web.Request) -> bool:
    """True when the client prefers an HTML page over JSON (a browser)."""
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "json" not in accept


HEADINGS = {
    400: "That request is not one we understand",
    401: "Please sign in",
    403: "Not allowed",
    404: "Nothing here",
    405: "Not allowed here",
    413: "That is too large",
    415: "Not a format we take",
    422: "Please check what you sent",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "Back soon",
}
_MACHINE_PATHS = ("/api/", "/.well-known/", "/nodeinfo/", "/inbox")


def wants_error_page(request: web.Request) -> bool:
    """An error as a page in the site's layout: for a browser, or a person who opened a
    feed; a JSON body for clients that ask for JSON and on the machine paths."""
    accept = request.headers.get("Accept", "")
    if "json" in accept or request.path.startswith(_MACHINE_PATHS):
        return False
    if request.method == "POST" and request.path.endswith("/inbox"):
        return False
    return "text/html" in accept or request.path.endswith((".ics", ".atom"))


def error_response(
    request: web.Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    **extra: object,
) -> web.Response:
    """A JSON error body (`{"error": …}`), or a page in the site's layout for people."""
    if wants_error_page(request):
        try:
            from node.web.pages import render  # the pages import this module

            page = render(
                request,
                "error.html",
                {
                    "status": status,
                    "heading": HEADINGS.get(status, f"Error {status}"),
                    "message": message,
                    "request_id": structlog.contextvars.get_contextvars().get(
                        "request_id"
                    ),
                },
            )
            page.set_status(status)
            return page
        except Exception:
            log.exception("error_page_failed")
            text = f'<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p><p><a href="/">Home</a></p>'
            return web.Response(status=status, text=text, content_type="text/html")
    return web.json_response(
        {
            "error": code or CODES.get(status, "error"),
            "message": message,
            "status": status,
            **extra,
        },
        status=status,
    )


CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}


class Refusal(web.HTTPException):
    """An HTTP refusal with a stable machine-readable code (the JSON body's `error`)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status_code = status
        super().__init__(reason=message, headers=headers)
        self.code = code


def _refuse_nul(request: web.Request) -> None:
    """No NUL in a path or query: nothing we route or store can hold one."""
    if "\x00" in request.path or "\x00" in request.query_string:
        raise Refusal(400, "nul_in_request", "a NUL character in the URL")


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# where an image may be uploaded: the body may be that large, for a request that carries
# credentials at all (they are checked by the handler; anyone else keeps the 1 MiB bound)
UPLOAD_BODY = 11 * 1024 * 1024
_UPLOAD_PATHS = re.compile(r"/api/v1/media|/admin/media|/admin/[a-z]+/(new|[^/]+/edit)")


def _may_upload(request: web.Request) -> bool:
    return (
        request.method == "POST"
        and _UPLOAD_PATHS.fullmatch(request.path) is not None
        and ("Authorization" in request.headers or bool(request.cookies))
    )


async def _read_body(request: web.Request) -> None:
    """Read the whole body (aiohttp keeps it for the handler) within the client timeout: a
    client that trickles its body is answered 408 instead of being held forever."""
    if request.content.is_eof():  # all of it came with the headers: nothing to wait for
        await request.read()
        return
    seconds = request.app[appkeys.SETTINGS].client_timeout
    try:
        async with asyncio.timeout(seconds):
            await request.read()
    except TimeoutError:
        raise Refusal(
            408,
            "body_timeout",
            f"the request body did not arrive within {seconds} s",
            headers={"Connection": "close"},
        ) from None


async def read_form(request: web.Request) -> MultiDictProxy[str | web.FileField]:
    """The posted form, url-encoded or multipart, parsed from the body the middleware has
    already read (aiohttp's own multipart reader wants the unread stream). A file part
    comes as a `web.FileField`; a body that is not what its type says is a 400."""
    if request.content_type != "multipart/form-data":
        posted: MultiDictProxy[Any] = await request.post()
        return posted
    body = await request.read()
    header = request.headers.get("Content-Type", "").encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + header + b"\r\n\r\n" + body
    )
    if not message.is_multipart() or message.defects:
        raise Refusal(400, "bad_multipart", "the multipart body does not parse")
    form: MultiDict[str | web.FileField] = MultiDict()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise Refusal(400, "bad_multipart", "a multipart part has no name")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            form.add(name, data.decode("utf-8", "replace"))
        else:
            form.add(
                name,
                web.FileField(
                    name=name,
                    filename=filename,
                    file=io.BytesIO(data),
                    content_type=part.get_content_type(),
                    headers=CIMultiDictProxy(CIMultiDict(part.items())),
                ),
            )
    return MultiDictProxy(form)


_SECRET_PATHS = ("/admin/invite/",)  # the rest of the path is a one-time secret


def loggable(path: str) -> str:
    """The path as logs may keep it: an invitation link's secret is never written down."""
    for prefix in _SECRET_PATHS:
        if path.startswith(prefix):
            rest = path[len(prefix) :].partition("/")[2]
            return f"{prefix}…" + (f"/{rest}" if rest else "")
    return path


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind a request id, log one `request` event, turn HTTP errors into JSON bodies."""
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        request_id=request_id, method=request.method, path=loggable(request.path)
    )
    started = time.perf_counter()
    status = 500
    try:
        _refuse_nul(request)
        if _may_upload(request):
            request = request.clone(client_max_size=UPLOAD_BODY)
        if request.method in _BODY_METHODS and request.body_exists:
            await _read_body(request)
        response = await handler(request)
        status = response.status
        if status < 400 and request.method in _BODY_METHODS:
            # a write went through: what stopped writes has passed
            request.app[appkeys.WRITE_FAILURES].clear()
    except web.HTTPException as exc:
        status = exc.status
        if exc.status < 400:
            raise
        if exc.text and exc.content_type == "application/json":
            response = web.Response(
                status=exc.status, text=exc.text, content_type="application/json"
            )
        else:
            response = error_response(
                request, exc.status, exc.reason, code=getattr(exc, "code", None)
            )
            response.headers.extend(
                (k, v)
                for k, v in exc.headers.items()
                if k.lower()
                in ("retry-after", "www-authenticate", "allow", "connection")
            )
    except FederationError as exc:
        status = exc.status
        log.info("request_refused", error=exc.code, reason=str(exc))
        response = error_response(request, status, str(exc), code=exc.code)
        if status == 429:
            response.headers["Retry-After"] = "60"
    except Exception as exc:
        if db.unavailable(exc):
            log.warning("database_unavailable", error=exc.__class__.__name__)
            if reason := db.write_failure(exc):
                request.app[appkeys.WRITE_FAILURES].record(reason)
            status = 503
            response = error_response(
                request, 503, "the database is unavailable; try again shortly"
            )
            response.headers["Retry-After"] = "5"
        else:
            log.exception("request_failed")
            response = error_response(request, 500, "internal server error")
            status = 500
    finally:
        elapsed = time.perf_counter() - started
        log.info("request", status=status, duration_ms=round(elapsed * 1000, 2))
        metrics = request.app.get(appkeys.METRICS)
        if metrics is not None:
            route = route_of(request)
            metrics.requests.labels(route, request.method, str(status)).inc()
            metrics.latency.labels(route).observe(elapsed)
    response.headers["X-Request-Id"] = request_id
    return response
