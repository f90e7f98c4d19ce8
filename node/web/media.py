"""Images: upload (`POST /api/v1/media`, `POST /admin/media`), a group's pictures
(`PUT /api/v1/profile`) and the bytes (`GET /media/{name}`).

An upload is `multipart/form-data` with the image in `file` and what it is for in
`purpose` (attachment, avatar or header). Refusals: 413 `too_large`, 415
`unsupported_media`, 422 `too_many_pixels` or `undecodable`, each storing nothing.
Served images are our own re-encodings under random names, with their type, `nosniff`, a
sandboxing CSP and a year's immutable caching.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.domain.access import Need
from node.domain.actors import LocalActor
from node.media.images import MAX_BYTES, ImageError, Purpose, media_type_of
from node.media.stores import NAME
from node.runtime import appkeys
from node.services import media
from node.web import principal
from node.web.api import author, json_body
from node.web.middleware import Refusal, read_form
from node.web.signin import posted_form

_STATUS = {"too_large": 413, "unsupported_media": 415}
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "public, max-age=31536000, immutable",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def _file(form: Any) -> bytes:
    part = form.get("file")
    if part is None or not hasattr(part, "file"):
        raise Refusal(
            422, "file_required", "send the image as the multipart field file"
        )
    data: bytes = part.file.read(MAX_BYTES + 1)
    if not data:
        raise Refusal(422, "file_required", "the file is empty")
    return data


def _purpose(form: Any) -> Purpose:
    raw = str(form.get("purpose", "attachment"))
    try:
        return Purpose(raw)
    except ValueError:
        choices = ", ".join(p.value for p in Purpose)
        raise Refusal(
            422, "invalid_purpose", f"purpose: one of {choices}, not {raw!r}"
        ) from None


async def _keep(
    request: web.Request, actor: LocalActor, data: bytes, purpose: Purpose
) -> media.Uploaded:
    who = request[principal.ACTING]
    try:
        return await media.upload(
            request.app[appkeys.DB],
            request.app[appkeys.MEDIA],
            base_url=request.app[appkeys.SETTINGS].url,
            actor=actor,
            data=data,
            purpose=purpose,
            uploaded_by=who.account_name or who.via,
        )
    except ImageError as exc:
        raise Refusal(_STATUS.get(exc.code, 422), exc.code, str(exc)) from None


async def upload(request: web.Request) -> web.Response:
    """POST /api/v1/media: 201 with the image's id (for `images[].media`, `avatar`,
    `header`), URL, type and size."""
    actor = await author(request)
    if request.content_type != "multipart/form-data":
        raise web.HTTPUnsupportedMediaType(reason="send multipart/form-data")
    form = await read_form(request)
    purpose = _purpose(form)
    uploaded = await _keep(request, actor, _file(form), purpose)
    principal.note(request, "upload", uploaded.url, {"purpose": str(purpose)})
    return web.json_response(
        uploaded.as_json(), status=201, headers={"Location": uploaded.url}
    )


async def profile(request: web.Request) -> web.Response:
    """PUT /api/v1/profile {"avatar": id | null, "header": id | null}: the group's
    pictures (a field left out stays as it is); its followers get an Update."""
    actor = await author(request)
    data = await json_body(request)
    fields = ("avatar", "header")
    if not isinstance(data, dict) or not set(data) <= set(fields) or not data:
        raise Refusal(422, "invalid_input", "send avatar and/or header (an id or null)")
    for field in fields:
        if field in data and not (data[field] is None or isinstance(data[field], str)):
            raise Refusal(422, "invalid_input", f"{field}: an image id or null")
    pictured = await _pictures(request, actor, data)
    principal.note(request, "pictures", None, {k: data[k] for k in data})
    return web.json_response(
        {"avatar": pictured.icon_url, "header": pictured.image_url}
    )


async def _pictures(
    request: web.Request, actor: LocalActor, data: dict[str, Any]
) -> LocalActor:
    try:
        return await media.set_pictures(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            actor=actor,
            avatar=data.get("avatar"),
            header=data.get("header"),
            keep=frozenset({"avatar", "header"} - set(data)),
        )
    except media.PictureError as exc:
        raise Refusal(422, "unknown_image", str(exc)) from None


async def admin_upload(request: web.Request) -> web.Response:
    """POST /admin/media (the dashboard's form): a new avatar or header, at once."""
    actor, _csrf, form = await posted_form(request, Need.WRITE)
    purpose = _purpose(form)
    if purpose is Purpose.ATTACHMENT:
        raise Refusal(422, "invalid_purpose", "attach images from a call's own form")
    uploaded = await _keep(request, actor, _file(form), purpose)
    await _pictures(request, actor, {str(purpose): uploaded.name})
    principal.note(request, "pictures", uploaded.url, {"purpose": str(purpose)})
    raise web.HTTPSeeOther(location="/admin?done=pictured")


async def serve(request: web.Request) -> web.StreamResponse:
    """GET /media/{name}: the bytes, from the media store."""
    name = request.match_info["name"]
    media_type = media_type_of(name)
    if media_type is None or not NAME.fullmatch(name):
        raise web.HTTPNotFound(reason="no such image")
    data = await request.app[appkeys.MEDIA].get(name)
    if data is None:
        raise web.HTTPNotFound(reason="no such image")
    return web.Response(body=data, content_type=media_type, headers=HEADERS)
