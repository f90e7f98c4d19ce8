"""The OpenAPI paths of a shared vision: endorsements (signing under a vision or call,
taking it back, who signed), amendments (proposing a change, the author's decision) and the
plan (taking on an item, its owner's updates)."""

from __future__ import annotations

from typing import Any

from node.movement.schemas import load
from node.web.openapi_loop import Auth, error

OBJECT = {
    "name": "object",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "format": "uri"},
    "description": "the vision's or call's IRI",
}


def _schema(name: str) -> dict[str, Any]:
    return {k: v for k, v in load(f"{name}.schema.json").items() if k != "$id"}


def paths(auth: Auth) -> dict[str, Any]:
    schema = _schema("endorsement")
    return (
        _amendment_paths(auth)
        | _plan_paths(auth)
        | _assembly_paths(auth)
        | {
            "/api/v1/endorsements": {
                "get": {
                    "summary": "Who signed a vision or call (groups, by name and node, each "
                    "signed Note whole) and how many others support it",
                    "parameters": [OBJECT],
                    "responses": {
                        "200": {"description": "signatures and support"},
                        "400": error("object: not an IRI"),
                        "404": error("not a public object of this node"),
                    },
                },
                "post": {
                    "summary": "Sign under a vision or call of any node (a public Note with an "
                    "FEP-8b32 proof, to the group's followers and the author)",
                    "security": auth,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": schema}},
                    },
                    "responses": {
                        "201": {"description": "the signed Note"},
                        "401": error("a bearer token is required"),
                        "409": error(
                            "already_endorsed: withdraw it first to change it"
                        ),
                        "422": error(
                            "invalid_input, not_endorsable, unknown_object or unreachable"
                        ),
                    },
                },
                "delete": {
                    "summary": "Take the signature back (a Delete of the Note)",
                    "security": auth,
                    "parameters": [OBJECT],
                    "responses": {
                        "204": {"description": "withdrawn"},
                        "401": error("a bearer token is required"),
                        "404": error("not_found: no endorsement of that object"),
                    },
                },
            }
        }
    )


def _amendment_paths(auth: Auth) -> dict[str, Any]:
    decision = {
        "type": "object",
        "required": ["amendment", "decision"],
        "additionalProperties": False,
        "properties": {
            "amendment": {"type": "string", "format": "uri"},
            "decision": {"enum": ["accept", "decline"]},
        },
    }
    return {
        "/api/v1/amendments": {
            "get": {
                "summary": "The amendments proposed to a vision, by whom and what became "
                "of them",
                "parameters": [OBJECT],
                "responses": {
                    "200": {"description": "the amendments, oldest first"},
                    "404": error("not a public object of this node"),
                },
            },
            "post": {
                "summary": "Propose a change to another group's vision (a signed Note to "
                "its author)",
                "security": auth,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _schema("amendment")}},
                },
                "responses": {
                    "201": {"description": "the signed Note"},
                    "401": error("a bearer token is required"),
                    "422": error(
                        "invalid_input, invalid_amendment, own_vision, not_endorsable "
                        "or unreachable"
                    ),
                },
            },
        },
        "/api/v1/amendments/decision": {
            "post": {
                "summary": "The vision's author accepts (a new version) or declines",
                "security": auth,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": decision}},
                },
                "responses": {
                    "200": {"description": "the amendment's new state"},
                    "401": error("a bearer token is required"),
                    "404": error("not_found: no open amendment to your vision"),
                },
            }
        },
    }


def _plan_paths(auth: Auth) -> dict[str, Any]:
    item = _schema("plan_item")
    change = {k: v for k, v in item.items() if k != "required"} | {"minProperties": 1}
    change["properties"] = {
        k: v for k, v in item["properties"].items() if k != "vision"
    }
    return {
        "/api/v1/plan": {
            "get": {
                "summary": "A vision's plan: its items, their owners, status and due dates",
                "parameters": [{**OBJECT, "name": "vision"}],
                "responses": {"200": {"description": "the items"}},
            },
            "post": {
                "summary": "Take on an item of a vision's plan (a signed Note of the group's)",
                "security": auth,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": item}},
                },
                "responses": {
                    "201": {"description": "the signed Note"},
                    "401": error("a bearer token is required"),
                    "422": error("invalid_input, not_endorsable or unreachable"),
                },
            },
            "put": {
                "summary": "Update an item the group owns (an Update of its Note)",
                "security": auth,
                "parameters": [
                    {**OBJECT, "name": "item", "description": "the item's IRI"}
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": change}},
                },
                "responses": {
                    "200": {"description": "the updated Note"},
                    "401": error("a bearer token is required"),
                    "404": error("not_found: no item of yours by that id"),
                    "422": error("invalid_input"),
                },
            },
        }
    }


def _assembly_paths(auth: Auth) -> dict[str, Any]:
    def body(schema: dict[str, Any]) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    vote = body(
        {
            "type": "object",
            "required": ["proposal", "choice"],
            "properties": {
                "proposal": {"type": "string"},
                "choice": {"enum": ["yes", "no"]},
            },
        }
    )
    return {
        "/api/v1/assembly": {
            "get": {
                "summary": "The node's assembly: its groups, proposals, what it adopted",
                "responses": {"200": {"description": "the assembly's fold"}},
            }
        },
        "/api/v1/assembly/proposals": {
            "post": {
                "summary": "Propose a vision version as the node's shared vision (a group "
                "admin's token; a signed Add record)",
                "security": auth,
                "requestBody": body(
                    {
                        "type": "object",
                        "required": ["version"],
                        "properties": {"version": {"type": "string", "format": "uri"}},
                    }
                ),
                "responses": {
                    "201": {"description": "the open proposal"},
                    "401": error("a bearer token is required"),
                    "403": error("role_required, or not a group"),
                    "422": error("invalid_input, or refused (not a vision version)"),
                },
            }
        },
        "/api/v1/assembly/votes": {
            "post": {
                "summary": "Vote as the group (a signed Accept or Reject record)",
                "security": auth,
                "requestBody": vote,
                "responses": {
                    "200": {"description": "what the assembly has adopted now"},
                    "401": error("a bearer token is required"),
                    "403": error("role_required, or not a group"),
                    "409": error(
                        "refused: no open proposal, voted already, not in its electorate"
                    ),
                },
            }
        },
        "/api/v1/confederations/{name}/group-votes": {
            "post": {
                "summary": "Vote as the group on a proposal to adopt, in a confederation "
                "whose charter has the member nodes' groups vote (voters = groups)",
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "security": auth,
                "requestBody": vote,
                "responses": {
                    "200": {"description": "what the confederation has adopted now"},
                    "401": error("a bearer token is required"),
                    "403": error("role_required, or not a group"),
                    "404": error("no such confederation on this node"),
                    "409": error(
                        "refused: no open proposal, voted already, not in its electorate"
                    ),
                },
            }
        },
    }
