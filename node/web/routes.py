"""The route table: path -> handler, nothing else."""

from __future__ import annotations

from aiohttp import web

from node.runtime.metrics import metrics_with_token
from node.web import (
    accounts_ui,
    activitypub,
    admin,
    admin_inbox,
    admin_shared,
    amendments,
    api,
    assembly,
    blocks,
    collections,
    confederation_api,
    confederations,
    endorsements,
    feeds,
    follow,
    group_inbox,
    health,
    inbox,
    institutions,
    matching,
    media,
    objects,
    openapi,
    operator_api,
    pages,
    passkeys,
    people_api,
    people_ui,
    plan,
    pledges,
    signin,
    versions,
    votes,
    wellknown,
)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/metrics", metrics_with_token)
    app.router.add_get("/.well-known/webfinger", wellknown.webfinger_handler)
    app.router.add_get("/.well-known/host-meta", wellknown.host_meta)
    app.router.add_get("/.well-known/nodeinfo", wellknown.nodeinfo_index)
    app.router.add_get("/nodeinfo/2.1", wellknown.nodeinfo_document)
    app.router.add_get("/nodeinfo/2.0", wellknown.nodeinfo_document)
    app.router.add_get("/actor", activitypub.instance_actor)
    app.router.add_get("/", pages.home)
    app.router.add_get("/map", pages.movement_map)
    app.router.add_get("/offers", pages.offers_page)
    app.router.add_get("/institutions", institutions.listing)
    app.router.add_get("/actors/{name}", activitypub.actor)
    app.router.add_get("/tags/{name}", pages.tag)
    app.router.add_get("/actors/{name}/feed.atom", feeds.atom)
    app.router.add_post("/actors/{name}/follow", follow.remote_follow)
    app.router.add_get("/actors/{name}/calendar.ics", feeds.calendar)
    app.router.add_post("/inbox", inbox.post_inbox)
    app.router.add_post("/actors/{name}/inbox", inbox.post_inbox)
    app.router.add_get("/actors/{name}/outbox", collections.outbox)
    app.router.add_get("/actors/{name}/followers", collections.followers)
    app.router.add_get("/actors/{name}/following", collections.following)
    app.router.add_get("/actors/{name}/objects/{object_id}", objects.get_object)
    app.router.add_get("/actors/{name}/objects/{object_id}/event.ics", feeds.event)
    app.router.add_get(
        "/actors/{name}/objects/{object_id}/versions/{n}", versions.version
    )
    app.router.add_get("/actors/{name}/objects/{object_id}/plan.atom", plan.atom)
    app.router.add_get("/actors/{name}/objects/{object_id}/plan.ics", plan.calendar)
    app.router.add_get("/actors/{name}/charter", confederations.charter)
    app.router.add_get("/actors/{name}/members", confederations.members)
    app.router.add_get("/actors/{name}/decisions", confederations.decisions)
    app.router.add_get("/media/{name}", media.serve)
    app.router.add_post("/api/v1/media", media.upload)
    app.router.add_put("/api/v1/profile", media.profile)
    app.router.add_post("/admin/media", media.admin_upload)
    app.router.add_post("/admin/endorse", admin_shared.endorse)
    app.router.add_post("/admin/plan", admin_shared.take_on)
    app.router.add_get("/api/openapi.json", openapi.openapi_json)
    app.router.add_get("/admin", admin.dashboard)
    app.router.add_get("/admin/login", signin.login_form)
    app.router.add_post("/admin/login", signin.login)
    app.router.add_post("/admin/logout", signin.logout)
    app.router.add_get("/admin/passkey.js", passkeys.script)
    app.router.add_post("/admin/passkey/options", passkeys.sign_in_options)
    app.router.add_post("/admin/passkey", passkeys.sign_in)
    invite = "/admin/invite/{secret}"
    app.router.add_get(invite, accounts_ui.invite_form)
    app.router.add_post(invite, accounts_ui.invite_accept)
    app.router.add_post(f"{invite}/passkey/options", passkeys.invite_options)
    app.router.add_post(f"{invite}/passkey", passkeys.invite_accept)
    app.router.add_get("/admin/account", accounts_ui.page)
    app.router.add_post("/admin/account/switch", accounts_ui.switch)
    app.router.add_post("/admin/account/sessions/end", accounts_ui.end_sessions)
    app.router.add_post("/admin/account/recovery", accounts_ui.new_codes)
    app.router.add_post("/admin/account/tokens", accounts_ui.new_token)
    app.router.add_post(
        "/admin/account/tokens/{token_id}/revoke", accounts_ui.revoke_token
    )
    app.router.add_post("/admin/account/passkey/options", passkeys.add_options)
    app.router.add_post("/admin/account/passkey", passkeys.add)
    app.router.add_get("/admin/claim", accounts_ui.claim_page)
    app.router.add_post("/admin/claim", accounts_ui.claim)
    app.router.add_get("/admin/people", people_ui.people_page)
    app.router.add_post("/admin/people/invite", people_ui.invite)
    app.router.add_post("/admin/people/role", people_ui.change_role)
    app.router.add_post("/admin/people/rules", people_ui.rules)
    app.router.add_get("/admin/pending", people_ui.pending_page)
    decision = "{pending_id}/{decision:approve|refuse}"
    app.router.add_post(f"/admin/pending/{decision}", people_ui.decide)
    app.router.add_get("/admin/audit", people_ui.audit_page)
    app.router.add_get("/admin/inbox", admin_inbox.page)
    app.router.add_post("/admin/inbox/{item_id}/read", admin_inbox.read)
    app.router.add_post("/admin/inbox/{item_id}/hide", admin_inbox.hide)
    app.router.add_post("/admin/inbox/{item_id}/reply", admin_inbox.reply)
    app.router.add_post("/admin/inbox/{item_id}/block", admin_inbox.block)
    app.router.add_post("/admin/inbox/{item_id}/report", admin_inbox.report)
    app.router.add_get("/admin/call/{object_id}/pledges", admin_inbox.pledges_page)
    app.router.add_post("/admin/call/{object_id}/contact", admin_inbox.contact)
    app.router.add_get("/admin/{kind}/new", admin.new_form)
    app.router.add_post("/admin/{kind}/new", admin.save)
    app.router.add_get("/admin/{kind}/{object_id}/edit", admin.edit_form)
    app.router.add_post("/admin/{kind}/{object_id}/edit", admin.save)
    app.router.add_get("/admin/{kind}/{object_id}/delete", admin.confirm_delete)
    app.router.add_post("/admin/{kind}/{object_id}/delete", admin.delete)
    app.router.add_get("/api/v1/objects", api.read_objects)
    app.router.add_get("/api/v1/object", api.read_object)
    app.router.add_get("/api/v1/confederations", confederation_api.list_confederations)
    app.router.add_get("/api/v1/confederations/{name}", confederation_api.show)
    app.router.add_get("/api/v1/confederations/{name}/objects", confederation_api.feed)
    app.router.add_get("/api/v1/calls/{object_id}/matches", matching.matches)
    app.router.add_post("/api/v1/calls/{object_id}/contact", matching.contact)
    app.router.add_get("/api/v1/calls/{object_id}/pledges", pledges.listing)
    app.router.add_post("/api/v1/calls/{object_id}/ask", pledges.ask)
    app.router.add_put("/api/v1/calls/{object_id}/reminder", pledges.reminder)
    app.router.add_post("/api/v1/votes", votes.vote)
    app.router.add_get("/api/v1/endorsements", endorsements.listing)
    app.router.add_post("/api/v1/endorsements", endorsements.endorse)
    app.router.add_delete("/api/v1/endorsements", endorsements.withdraw)
    app.router.add_get("/assembly/decisions", assembly.decisions)
    app.router.add_get("/api/v1/assembly", assembly.show)
    app.router.add_post("/api/v1/assembly/proposals", assembly.propose)
    app.router.add_post("/api/v1/assembly/votes", assembly.vote)
    app.router.add_post(
        "/api/v1/confederations/{name}/group-votes", assembly.confederation_vote
    )
    app.router.add_get("/api/v1/plan", plan.listing)
    app.router.add_post("/api/v1/plan", plan.take_on)
    app.router.add_put("/api/v1/plan", plan.update)
    app.router.add_get("/api/v1/amendments", amendments.listing)
    app.router.add_post("/api/v1/amendments", amendments.propose)
    app.router.add_post("/api/v1/amendments/decision", amendments.decision)
    app.router.add_get("/api/v1/blocks", blocks.listing)
    app.router.add_post("/api/v1/blocks", blocks.block)
    app.router.add_delete("/api/v1/blocks", blocks.unblock)
    app.router.add_post("/api/v1/reports", blocks.report)
    app.router.add_post("/api/v1/confederations/{name}/vote", operator_api.vote)
    app.router.add_post("/api/v1/confederations/{name}/leave", operator_api.leave)
    app.router.add_get("/api/v1/people", people_api.listing)
    app.router.add_put("/api/v1/people/{name}", people_api.set_role)
    app.router.add_delete("/api/v1/people/{name}", people_api.remove)
    app.router.add_post("/api/v1/invitations", people_api.invite)
    app.router.add_get("/api/v1/pending", people_api.pending)
    app.router.add_post(f"/api/v1/pending/{decision}", people_api.decide)
    app.router.add_get("/api/v1/two-person", people_api.get_rules)
    app.router.add_put("/api/v1/two-person", people_api.put_rules)
    app.router.add_get("/api/v1/audit", people_api.trail)
    app.router.add_get("/api/v1/inbox", group_inbox.listing)
    item = "/api/v1/inbox/{item_id}"
    app.router.add_post(f"{item}/read", group_inbox.mark_read)
    app.router.add_post(f"{item}/reply", group_inbox.reply)
    app.router.add_post(f"{item}/hide", group_inbox.hide)
    app.router.add_post(f"{item}/unhide", group_inbox.unhide)
    kinds = "{collection:visions|calls|offers|proposals}"
    app.router.add_get(f"/api/v1/{kinds}", api.list_own)
    app.router.add_post(f"/api/v1/{kinds}", api.create)
    app.router.add_get(f"/api/v1/{kinds}/{{object_id}}", api.get_own)
    app.router.add_put(f"/api/v1/{kinds}/{{object_id}}", api.update)
    app.router.add_delete(f"/api/v1/{kinds}/{{object_id}}", api.delete)
