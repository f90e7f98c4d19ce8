"""The OpenAPI paths of endorsements: signing under a vision or call, taking it back, and
who signed."""

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


def paths(auth: Auth) -> dict[str, Any]:
    schema = {k: v for k, v in load("endorsement.schema.json").items() if k != "$id"}
    return {
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
                    "409": error("already_endorsed: withdraw it first to change it"),
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
