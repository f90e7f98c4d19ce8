"""The OpenAPI paths of who runs a group: people and roles, invitations, the two-person
rule and its pending actions, and the audit trail (an admin's account token)."""

from __future__ import annotations

from typing import Any

from node.web.openapi_loop import Auth, error

HELD = {
    "description": "the group wants a second admin: the action waits (its id)",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "pending": {"type": "integer"},
                    "status": {"const": "awaiting_second_admin"},
                },
            }
        }
    },
}
ROLE = {"enum": ["admin", "editor", "viewer"]}
NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _refusals(**more: str) -> dict[str, Any]:
    shown = {
        "401": error("unknown, revoked or expired token"),
        "403": error("role_required: this needs the admin role in the group"),
    }
    return shown | {status: error(text) for status, text in more.items()}


def paths(auth: Auth) -> dict[str, Any]:
    role_body = _body(
        {"type": "object", "required": ["role"], "properties": {"role": ROLE}}
    )
    decision = {
        "name": "decision",
        "in": "path",
        "required": True,
        "schema": {"enum": ["approve", "refuse"]},
    }
    pending_id = {
        "name": "pending_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    return {
        "/api/v1/people": {
            "get": {
                "summary": "The accounts that hold a role in the group",
                "security": auth,
                "responses": {"200": {"description": "name, role"}} | _refusals(),
            }
        },
        "/api/v1/people/{name}": {
            "put": {
                "summary": "Change someone's role (taking an admin's away may wait "
                "for a second admin; the last admin stays)",
                "parameters": [NAME],
                "security": auth,
                "requestBody": role_body,
                "responses": {"200": {"description": "done"}, "202": HELD}
                | _refusals(
                    **{"404": "no_role: they hold no role here", "409": "last_admin"}
                ),
            },
            "delete": {
                "summary": "Take someone's role away (their tokens for the group end)",
                "parameters": [NAME],
                "security": auth,
                "responses": {"200": {"description": "done"}, "202": HELD}
                | _refusals(**{"404": "no_role", "409": "last_admin"}),
            },
        },
        "/api/v1/invitations": {
            "post": {
                "summary": "A one-time invitation link to the group with a role "
                "(expires in 7 days; only its hash is kept)",
                "security": auth,
                "requestBody": role_body,
                "responses": {"201": {"description": "the link, shown once"}}
                | _refusals(**{"422": "invalid_role"}),
            }
        },
        "/api/v1/pending": {
            "get": {
                "summary": "Actions waiting for a second admin",
                "security": auth,
                "responses": {"200": {"description": "the pending actions"}}
                | _refusals(),
            }
        },
        "/api/v1/pending/{pending_id}/{decision}": {
            "post": {
                "summary": "Approve (it is carried out now) or refuse a pending "
                "action; whoever asked cannot approve their own",
                "parameters": [pending_id, decision],
                "security": auth,
                "responses": {"200": {"description": "decided"}}
                | _refusals(**{"404": "unknown_pending: none, your own, or expired"}),
            }
        },
        "/api/v1/two-person": {
            "get": {
                "summary": "The actions that wait for a second admin",
                "security": auth,
                "responses": {"200": {"description": "actions"}} | _refusals(),
            },
            "put": {
                "summary": "Choose them (needs two admins; dropping a rule in force "
                "waits for a second admin itself)",
                "security": auth,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["actions"],
                        "properties": {
                            "actions": {
                                "type": "array",
                                "items": {"enum": ["delete", "remove_admin"]},
                            }
                        },
                    }
                ),
                "responses": {"200": {"description": "saved"}, "202": HELD}
                | _refusals(**{"409": "needs_two_admins", "422": "invalid_action"}),
            },
        },
        "/api/v1/confederations/{name}/vote": {
            "post": {
                "summary": "The node's vote on a proposal (an operator's token acting "
                "for the node); waits for a second operator where the node wants it",
                "parameters": [NAME],
                "security": auth,
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["proposal", "choice"],
                        "properties": {
                            "proposal": {"type": "string"},
                            "choice": {"enum": ["yes", "no"]},
                        },
                    }
                ),
                "responses": {"200": {"description": "the confederation"}, "202": HELD}
                | _refusals(
                    **{
                        "404": "unknown_confederation",
                        "422": "confederation_refused or invalid_input",
                    }
                ),
            }
        },
        "/api/v1/confederations/{name}/leave": {
            "post": {
                "summary": "The node leaves the confederation (an operator's token); "
                "waits for a second operator where the node wants it",
                "parameters": [NAME],
                "security": auth,
                "responses": {"200": {"description": "the confederation"}, "202": HELD}
                | _refusals(**{"404": "unknown_confederation"}),
            }
        },
        "/api/v1/audit": {
            "get": {
                "summary": "The group's audit trail, newest first, 50 a page",
                "parameters": [
                    {"name": "before", "in": "query", "schema": {"type": "integer"}}
                ],
                "security": auth,
                "responses": {"200": {"description": "lines and `next`"}} | _refusals(),
            }
        },
    }
