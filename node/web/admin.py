"""The publishing UI (`/admin`): once signed in (`web.signin`), create, edit, preview and
delete each kind of movement object through HTML forms.

Every form is checked by the same JSON Schemas as the API (`services.movement`), and its
errors are shown beside the fields. The session cookie is HttpOnly, SameSite=Lax and Secure
on https; every POST must come from our own origin, and every signed-in POST carries the
session's CSRF token.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from node.domain.access import Need
from node.domain.actors import LocalActor, actor_url
from node.media.images import MAX_BYTES, ImageError, Purpose
from node.movement import wire
from node.movement.present import KIND_LABELS, mastodon_preview
from node.movement.schemas import FieldError, validate
from node.runtime import appkeys
from node.services import media, movement, people
from node.storage import actors as store, objects
from node.web import forms, principal
from node.web.api import COLLECTIONS, own_object, own_object_id
from node.web.pages import render
from node.web.signin import posted_form, signed_in

KINDS = {v: k for k, v in COLLECTIONS.items()}  # kind -> collection
IMAGE_KINDS = frozenset({"vision", "call", "offer"})


async def dashboard(request: web.Request) -> web.Response:
    """GET /admin: the group's objects, newest first, with edit and delete."""
    actor, csrf = await signed_in(request, Need.READ)
    rows = await objects.recent_own(request.app[appkeys.DB], actor.id)
    items = [
        {
            "id": r["id"],
            "key": r["id"].rsplit("/", 1)[1],
            "kind": r["kind"],
            "label": KIND_LABELS[r["kind"]],
            "title": r["fields"].get("title", ""),
            "public": r["public"],
            "published": r["published_at"],
        }
        for r in rows
    ]
    return render(
        request,
        "admin/index.html",
        {
            "actor": actor,
            "actor_url": actor_url(request.app[appkeys.SETTINGS].url, actor),
            "csrf": csrf,
            "items": items,
            "kinds": KIND_LABELS,
            "done": request.query.get("done", ""),
            "acting": request[principal.ACTING],
        },
    )


def _kind(request: web.Request) -> str:
    kind = request.match_info["kind"]
    if kind not in KINDS:
        raise web.HTTPNotFound(reason="no such kind of object")
    return kind


async def _fields(request: web.Request, kind: str) -> list[forms.Field]:
    clusters = await store.local_by_kind(request.app[appkeys.DB], "cluster")
    return forms.fields_for(kind, sorted(c.name for c in clusters))


def _form_page(
    request: web.Request,
    *,
    form: forms.Form,
    csrf: str,
    action: str,
    editing: bool,
    preview: str = "",
    status: int = 200,
    images: list[dict[str, Any]] | None = None,
) -> web.Response:
    base = request.app[appkeys.SETTINGS].url
    response = render(
        request,
        "admin/form.html",
        {
            "form": form,
            "label": KIND_LABELS[form.kind],
            "csrf": csrf,
            "action": action,
            "editing": editing,
            "preview": preview,
            "with_images": form.kind in IMAGE_KINDS,
            "images": [
                i | {"url": media.media_url(base, i["media"])} for i in images or []
            ],
        },
    )
    response.set_status(status)
    return response


async def new_form(request: web.Request) -> web.Response:
    _actor, csrf = await signed_in(request)
    kind = _kind(request)
    form = forms.Form(
        kind,
        await _fields(request, kind),
        {"audience": "public", "timezone": request.app[appkeys.SETTINGS].timezone},
    )
    return _form_page(
        request, form=form, csrf=csrf, action=f"/admin/{kind}/new", editing=False
    )


async def edit_form(request: web.Request) -> web.Response:
    actor, csrf = await signed_in(request)
    kind = _kind(request)
    row = await own_object(request, actor, kind)
    fields = await _fields(request, kind)
    form = forms.Form(kind, fields, forms.data_to_form(fields, row["fields"]))
    return _form_page(
        request,
        form=form,
        csrf=csrf,
        action=request.path,
        editing=True,
        images=list(row["fields"].get("images", [])),
    )


async def _images(
    request: web.Request, actor: LocalActor, kind: str, posted: Any
) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """The form's images: those kept (with their alt text as edited) and a new upload,
    which needs its alt text; an upload that is refused is an error beside them."""
    if kind not in IMAGE_KINDS:
        return [], []
    kept = [
        {"media": str(m), "alt": str(posted.get(f"alt-{m}", "")).strip()}
        for m in posted.getall("keep_image", [])
    ]
    errors = [
        FieldError("images", "describe every image (its alt text)")
        for i in kept
        if not i["alt"]
    ][:1]
    part = posted.get("image_file")
    if part is None or not hasattr(part, "file"):
        return kept, errors
    data = part.file.read(MAX_BYTES + 1)
    if not data:
        return kept, errors
    alt = str(posted.get("image_alt", "")).strip()
    if not alt:
        return kept, [
            *errors,
            FieldError("images", "describe the new image (alt text)"),
        ]
    try:
        uploaded = await media.upload(
            request.app[appkeys.DB],
            request.app[appkeys.MEDIA],
            base_url=request.app[appkeys.SETTINGS].url,
            actor=actor,
            data=data,
            purpose=Purpose.ATTACHMENT,
            uploaded_by=request[principal.ACTING].account_name,
        )
    except ImageError as exc:
        return kept, [*errors, FieldError("images", str(exc))]
    return [*kept, {"media": uploaded.name, "alt": alt}], errors


def _preview(request: web.Request, actor: LocalActor, kind: str, data: Any) -> str:
    """What a Mastodon reader would see of `data` (already valid)."""
    base = request.app[appkeys.SETTINGS].url
    me = actor_url(base, actor)
    at = wire.Addressing(
        object_id=f"{me}/objects/preview-{uuid.uuid4()}",
        actor=me,
        followers=f"{me}/followers",
        clusters={c: f"{base}/actors/{c}" for c in data.get("clusters", [])},
        published=request.app[appkeys.CLOCK](),
    )
    return mastodon_preview(wire.build_object(kind, data, at))


async def save(request: web.Request) -> web.Response:
    """POST /admin/{kind}/new and /admin/{kind}/{object_id}/edit: preview, or publish."""
    actor, csrf, posted = await posted_form(request)
    kind = _kind(request)
    editing = "object_id" in request.match_info
    stored = dict((await own_object(request, actor, kind))["fields"]) if editing else {}
    fields = await _fields(request, kind)
    data, errors = forms.form_to_data(kind, fields, posted)
    if data.get("institutions"):
        data["institutions"] = forms.keep_details(data["institutions"], stored)
    images, refused = await _images(request, actor, kind, posted)
    if images:
        data["images"] = images
    errors = errors or refused or validate(kind, data)
    preview = ""
    settings, pool, now = (
        request.app[appkeys.SETTINGS],
        request.app[appkeys.DB],
        request.app[appkeys.CLOCK](),
    )
    if not errors and posted.get("do") == "preview":
        preview = _preview(request, actor, kind, data)
    elif not errors:
        try:
            if editing:
                done = await movement.update_object(
                    pool,
                    base_url=settings.url,
                    actor=actor,
                    object_id=own_object_id(request, actor),
                    data=data,
                    now=now,
                )
            else:
                done = await movement.create_object(
                    pool,
                    base_url=settings.url,
                    actor=actor,
                    kind=kind,
                    data=data,
                    now=now,
                )
        except movement.InvalidInputError as exc:
            errors = list(exc.errors)
        else:
            principal.note(request, "edit" if editing else "publish", done["id"])
            raise web.HTTPSeeOther(location="/admin?done=published")
    form = forms.Form(
        kind, fields, _values(fields, posted), forms.place_errors(fields, errors)
    )
    return _form_page(
        request,
        form=form,
        csrf=csrf,
        action=request.path,
        editing=editing,
        preview=preview,
        status=422 if errors else 200,
        images=images,
    )


def _values(fields: list[forms.Field], posted: Any) -> dict[str, Any]:
    """What the person typed, shown back as is."""
    values: dict[str, Any] = {"timezone": str(posted.get("timezone", ""))}
    for spec in fields:
        if spec.widget == "checkboxes":
            values[spec.name] = [str(v) for v in posted.getall(spec.name, [])]
        else:
            values[spec.name] = str(posted.get(spec.name, ""))
    return values


async def confirm_delete(request: web.Request) -> web.Response:
    """GET /admin/{kind}/{object_id}/delete: what deleting would do, and the confirm button."""
    actor, csrf = await signed_in(request)
    kind = _kind(request)
    row = await own_object(request, actor, kind)
    reach = await movement.delete_reach(
        request.app[appkeys.DB], actor=actor, object_id=row["id"]
    )
    return render(
        request,
        "admin/delete.html",
        {
            "csrf": csrf,
            "title": row["fields"].get("title", ""),
            "label": KIND_LABELS[kind],
            "reach": reach,
            "action": request.path,
            "object_id": row["id"],
        },
    )


async def delete(request: web.Request) -> web.Response:
    """POST /admin/{kind}/{object_id}/delete with confirm=yes: the object becomes a
    Tombstone (a Delete is sent); without the confirmation, back to the question."""
    actor, _csrf, form = await posted_form(request)
    kind = _kind(request)
    await own_object(request, actor, kind)
    if form.get("confirm") != "yes":
        raise web.HTTPSeeOther(location=request.path)
    object_id = own_object_id(request, actor)
    held = await people.delete(
        request.app[appkeys.DB],
        request[principal.ACTING],
        object_id=object_id,
        base_url=request.app[appkeys.SETTINGS].url,
        now=request.app[appkeys.CLOCK](),
    )
    if held is not None:
        principal.note(request, "delete_requested", object_id, {"pending": held})
        raise web.HTTPSeeOther(location="/admin/pending?done=held")
    principal.note(request, "delete", object_id)
    raise web.HTTPSeeOther(location="/admin?done=deleted")
