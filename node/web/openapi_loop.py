"""The OpenAPI paths of what comes back to a group: its inbox, pledges and votes."""

from __future__ import annotations

from typing import Any

Auth = list[dict[str, list[str]]]


def error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


ITEM = {
    "name": "item_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}


def _item_action(summary: str, auth: Auth) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [ITEM],
            "security": auth,
            "responses": {
                "200": {"description": "done"},
                "401": error("unknown or revoked token"),
                "404": error("no such item in this group's inbox"),
            },
        }
    }


CALL = {
    "name": "object_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
}


def _pledge_paths(auth: Auth) -> dict[str, Any]:
    not_found = error("no such call of this group")
    return {
        "/api/v1/calls/{object_id}/pledges": {
            "get": {
                "summary": "Who pledged to this call and what (the group's eyes only; "
                "the public sees counts), and its reminder",
                "parameters": [CALL],
                "security": auth,
                "responses": {
                    "200": {"description": "counts, pledges, reminder"},
                    "401": error("unknown or revoked token"),
                    "404": not_found,
                },
            }
        },
        "/api/v1/calls/{object_id}/ask": {
            "post": {
                "summary": "Send the call's pledge Questions (direct) to someone who "
                "follows the group or wrote to it",
                "parameters": [CALL],
                "security": auth,
                "requestBody": _json_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["actor"],
                        "properties": {"actor": {"type": "string", "format": "iri"}},
                    }
                ),
                "responses": {
                    "200": {"description": "how many questions were sent"},
                    "404": not_found,
                    "422": error("invalid input; not_in_touch; no_pledges"),
                    "502": error("the person's server cannot be reached"),
                },
            }
        },
        "/api/v1/calls/{object_id}/reminder": {
            "put": {
                "summary": "Remind every pledger this many hours before the call starts "
                "(null: no reminder)",
                "parameters": [CALL],
                "security": auth,
                "requestBody": _json_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["hours_before"],
                        "properties": {
                            "hours_before": {
                                "type": ["integer", "null"],
                                "minimum": 1,
                                "maximum": 336,
                            }
                        },
                    }
                ),
                "responses": {
                    "200": {"description": "when the reminder goes out"},
                    "404": not_found,
                    "422": error("invalid input; no_start_time"),
                },
            }
        },
    }


def paths(auth: Auth) -> dict[str, Any]:
    return (
        _pledge_paths(auth)
        | _vote_paths(auth)
        | _inbox_paths(auth)
        | _block_paths(auth)
    )


def _block_paths(auth: Auth) -> dict[str, Any]:
    actor_body = _json_body(
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["actor"],
            "properties": {"actor": {"type": "string", "format": "iri"}},
        }
    )
    return {
        "/api/v1/blocks": {
            "get": {
                "summary": "The remote actors this group blocks",
                "security": auth,
                "responses": {"200": {"description": "items"}},
            },
            "post": {
                "summary": "Block a remote actor for this group: its follow ends (Reject), "
                "its replies are hidden, its reactions, votes and pledges removed and "
                "refused from now on",
                "security": auth,
                "requestBody": actor_body,
                "responses": {
                    "200": {"description": "what was undone, by count"},
                    "422": error("invalid input; local_actor"),
                },
            },
            "delete": {
                "summary": "Unblock (?actor=IRI)",
                "security": auth,
                "parameters": [
                    {
                        "name": "actor",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "format": "iri"},
                    }
                ],
                "responses": {
                    "204": {"description": "unblocked"},
                    "404": error("not blocked"),
                },
            },
        },
        "/api/v1/reports": {
            "post": {
                "summary": "Report an actor the group dealt with to its own server: a Flag "
                "from this node's instance actor",
                "security": auth,
                "requestBody": _json_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["actor"],
                        "properties": {
                            "actor": {"type": "string", "format": "iri"},
                            "objects": {
                                "type": "array",
                                "maxItems": 20,
                                "items": {"type": "string", "format": "iri"},
                            },
                            "comment": {"type": "string", "maxLength": 1000},
                        },
                    }
                ),
                "responses": {
                    "201": {"description": "the Flag's id"},
                    "422": error("invalid input; not_in_touch; local_actor"),
                    "502": error("the actor's server cannot be reached"),
                },
            }
        },
    }


def _vote_paths(auth: Auth) -> dict[str, Any]:
    return {
        "/api/v1/votes": {
            "post": {
                "summary": "The group votes: on this node's proposal at once, on another "
                "node's by sending its poll vote as the group (an assembly of groups counts "
                "one vote per group)",
                "security": auth,
                "requestBody": _json_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["question", "choice"],
                        "properties": {
                            "question": {"type": "string", "format": "iri"},
                            "choice": {"type": "string", "maxLength": 100},
                        },
                    }
                ),
                "responses": {
                    "201": {"description": "status: counted (here) or sent (there)"},
                    "401": error("unknown or revoked token"),
                    "422": error(
                        "invalid input; vote_refused (closed, not an option, "
                        "outside the electorate, already voted)"
                    ),
                    "502": error("the question's server cannot be reached"),
                },
            }
        }
    }


def _inbox_paths(auth: Auth) -> dict[str, Any]:
    return {
        "/api/v1/inbox": {
            "get": {
                "summary": "What came back to this group: replies to its objects, "
                "mentions, direct messages (capability contacts among them) and reports; "
                "unread first, newest first, 20 a page",
                "security": auth,
                "parameters": [
                    {
                        "name": "kind",
                        "in": "query",
                        "schema": {"enum": ["reply", "mention", "direct", "report"]},
                    },
                    {
                        "name": "about",
                        "in": "query",
                        "schema": {"type": "string", "format": "iri"},
                        "description": "only items about this object of the group's",
                    },
                    {"name": "page", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {"description": "items, page, next_page, unread"},
                    "400": error("bad query"),
                    "401": error("unknown or revoked token"),
                },
            }
        },
        "/api/v1/inbox/{item_id}/read": _item_action("Mark an item read", auth),
        "/api/v1/inbox/{item_id}/hide": _item_action(
            "Hide a reply: off the object's page and its replies collection", auth
        ),
        "/api/v1/inbox/{item_id}/unhide": _item_action(
            "Show a hidden reply again", auth
        ),
        "/api/v1/inbox/{item_id}/reply": {
            "post": {
                "summary": "Answer an item: a Create{Note} in reply, public (to the "
                "group's followers and the sender) or direct (to the sender alone)",
                "parameters": [ITEM],
                "security": auth,
                "requestBody": _json_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["text"],
                        "properties": {
                            "text": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 5000,
                            },
                            "visibility": {"enum": ["public", "direct"]},
                        },
                    }
                ),
                "responses": {
                    "201": {"description": "the Note sent"},
                    "401": error("unknown or revoked token"),
                    "404": error("no such item in this group's inbox"),
                    "422": error("invalid input"),
                    "502": error("the sender's server cannot be reached"),
                },
            }
        },
    }
