"""The dashboard's part in a shared vision: sign under a vision or call (`POST
/admin/endorse`) and take on a step of a vision's plan (`POST /admin/plan`), for the
organisers who do not use the API. The same services and checks as the API's."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from node.runtime import appkeys
from node.services import endorsements, planning
from node.services.signed_notes import NoteError
from node.web import principal
from node.web.signin import posted_form


def _back(*, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location=f"/admin?done={quote(done)}")


async def endorse(request: web.Request) -> web.Response:
    actor, _csrf, form = await posted_form(request)
    target = str(form.get("object", "")).strip()
    statement = str(form.get("statement", "")).strip()[:500]
    if not target.startswith(("https://", "http://")):
        raise _back(done="not endorsed: paste the address of a vision or call")
    try:
        await endorsements.endorse(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            target=target,
            statement=statement,
            now=request.app[appkeys.CLOCK](),
        )
    except NoteError as exc:
        raise _back(done=f"not endorsed: {exc}") from None
    principal.note(request, "endorse", target)
    raise _back(done="endorsed")


async def take_on(request: web.Request) -> web.Response:
    actor, _csrf, form = await posted_form(request)
    data = {
        k: str(form.get(k, "")).strip()
        for k in ("vision", "title", "due", "status", "note")
        if str(form.get(k, "")).strip()
    }
    try:
        note = await planning.take_on(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            data=data,
            now=request.app[appkeys.CLOCK](),
        )
    except (planning.PlanInputError, NoteError) as exc:
        raise _back(done=f"not taken on: {exc}") from None
    principal.note(request, "plan_item", note["id"])
    raise _back(done="taken on, as a step of the plan")
