"""GET /api/openapi.json: the API's OpenAPI 3.1 description, generated from schemas/ (the
request bodies *are* the JSON Schemas; nothing here restates a field)."""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

from node import __version__
from node.movement.schemas import load
from node.web import (
    openapi_endorsements,
    openapi_loop,
    openapi_media,
    openapi_people,
)
from node.web.api import COLLECTIONS

_ERROR = {
    "type": "object",
    "required": ["error", "message", "status"],
    "properties": {
        "error": {
            "type": "string",
            "description": "a stable code (FEDERATION.md lists them), e.g. invalid_input",
        },
        "message": {"type": "string", "description": "the same, as a sentence"},
        "status": {"type": "integer"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def _component(name: str) -> dict[str, Any]:
    """A schema file with its references to common.schema.json pointed at the component."""
    text = json.dumps(load(f"{name}.schema.json"))
    text = text.replace(
        '"common.schema.json#/$defs/', '"#/components/schemas/common/$defs/'
    )
    schema: dict[str, Any] = json.loads(text)
    schema.pop("$id", None)
    schema.pop("$schema", None)
    return schema


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }


@functools.cache
def document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    auth: list[dict[str, list[str]]] = [{"bearer": []}]
    for collection, kind in COLLECTIONS.items():
        body = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{kind}"}}
            },
        }
        common_errors = {
            "401": _error("no valid bearer token"),
            "422": _error("invalid input: every failing field and why; nothing stored"),
        }
        paths[f"/api/v1/{collection}"] = {
            "get": {
                "summary": f"This group's {collection}, newest first",
                "security": auth,
                "parameters": [
                    {
                        "name": "before",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    }
                ],
                "responses": {
                    "200": {"description": "a page of objects"},
                    "401": common_errors["401"],
                },
            },
            "post": {
                "summary": f"Publish a {kind}",
                "security": auth,
                "requestBody": body,
                "responses": {"201": {"description": "published"}, **common_errors},
            },
        }
        item = f"/api/v1/{collection}/{{object_id}}"
        param = [
            {
                "name": "object_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ]
        paths[item] = {
            "parameters": param,
            "get": {
                "security": auth,
                "responses": {
                    "200": {"description": "the object"},
                    "404": _error("not found"),
                },
            },
            "put": {
                "summary": f"Edit a {kind} (publishes an Update)",
                "security": auth,
                "requestBody": body,
                "responses": {
                    "200": {"description": "updated"},
                    "404": _error("not found"),
                    **common_errors,
                },
            },
            "delete": {
                "summary": f"Delete a {kind} (publishes a Delete; a Tombstone answers "
                "410); where the group wants two admins for it, it waits (202)",
                "security": auth,
                "responses": {
                    "204": {"description": "deleted"},
                    "202": openapi_people.HELD,
                    "403": _error(
                        "role_required, or person_required (a shared token "
                        "under the two-person rule)"
                    ),
                    "404": _error("not found"),
                },
            },
        }
    paths["/api/v1/objects"] = {
        "get": {
            "summary": "Public movement objects, local and federated, newest first",
            "parameters": [
                {
                    "name": "kind",
                    "in": "query",
                    "schema": {"enum": list(COLLECTIONS.values())},
                },
                {"name": "cluster", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "since",
                    "in": "query",
                    "schema": {"type": "string", "format": "date-time"},
                },
                {
                    "name": "before",
                    "in": "query",
                    "schema": {"type": "string", "format": "date-time"},
                },
            ],
            "responses": {
                "200": {"description": "a page of objects"},
                "400": _error("bad query"),
            },
        }
    }
    paths["/api/v1/object"] = {
        "get": {
            "summary": "One movement object, local or federated, by its IRI; a "
            "followers-only object needs the token of its author or of a local actor "
            "that follows its author",
            "parameters": [
                {
                    "name": "id",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "format": "iri"},
                }
            ],
            "security": [{}, *auth],
            "responses": {
                "200": {"description": "the object, its kind and its fields"},
                "400": _error("no id"),
                "401": _error("unknown or revoked token"),
                "404": _error("no such object, or not visible to this token"),
            },
        }
    }
    paths.update(_confederation_paths(auth))
    paths.update(_feed_paths())
    paths.update(openapi_loop.paths(auth))
    paths.update(openapi_people.paths(auth))
    paths.update(openapi_media.paths(auth))
    paths.update(openapi_endorsements.paths(auth))
    schemas = {kind: _component(kind) for kind in COLLECTIONS.values()}
    schemas["charter"] = _component("charter")
    schemas["common"] = _component("common")
    schemas["Error"] = _ERROR
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "movement-node API", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _confederation_paths(auth: list[dict[str, list[str]]]) -> dict[str, Any]:
    name = {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    call = {
        "name": "object_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    return {
        "/api/v1/confederations": {
            "get": {
                "summary": "The confederations this node takes part in (or asked to "
                "join): charter, members, proposals and votes",
                "responses": {"200": {"description": "items"}},
            }
        },
        "/api/v1/confederations/{name}": {
            "get": {
                "summary": "One confederation, by its replica's name: charter, "
                "replica, cluster_actors (cluster -> followable actor), members, proposals",
                "parameters": [name],
                "responses": {
                    "200": {"description": "the confederation"},
                    "404": _error("no such confederation on this node"),
                },
            }
        },
        "/api/v1/confederations/{name}/objects": {
            "get": {
                "summary": "What this node's replica announced (the confederation's "
                "feed), newest first, by kind and cluster",
                "parameters": [
                    name,
                    {
                        "name": "kind",
                        "in": "query",
                        "schema": {"enum": list(COLLECTIONS.values())},
                    },
                    {"name": "cluster", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "items"},
                    "400": _error("bad query"),
                    "404": _error("no such confederation on this node"),
                },
            }
        },
        "/api/v1/calls/{object_id}/matches": {
            "get": {
                "summary": "Capability offers this node knows (its own and those its "
                "confederations relayed), ranked for this call: kind, area, availability",
                "parameters": [call],
                "security": auth,
                "responses": {
                    "200": {"description": "the call and its ranked matches"},
                    "401": _error("unknown or revoked token"),
                    "404": _error("no such call of this group"),
                },
            }
        },
        "/api/v1/calls/{object_id}/contact": {
            "post": {
                "summary": "Send the group behind a capability offer a direct message "
                "about this call (a mention addressed to that actor alone)",
                "parameters": [call],
                "security": auth,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["offer", "text"],
                                "properties": {
                                    "offer": {"type": "string", "format": "iri"},
                                    "text": {"type": "string", "maxLength": 2000},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {"description": "the message's id and addressee"},
                    "401": _error("unknown or revoked token"),
                    "404": _error("no such call, or no such offer known here"),
                    "422": _error("invalid input"),
                },
            }
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document())


def _feed_paths() -> dict[str, Any]:
    """The subscribable feeds (public objects only)."""
    name = {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }

    def feed(summary: str, media_type: str) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "parameters": [name],
                "responses": {
                    "200": {
                        "description": "the feed",
                        "content": {media_type: {"schema": {"type": "string"}}},
                    },
                    "404": _error("no such actor"),
                },
            }
        }

    return {
        "/actors/{name}/feed.atom": feed(
            "Atom feed of an actor's public objects (a cluster's: tagged with it; a "
            "confederation replica's: what it relayed)",
            "application/atom+xml",
        ),
        "/actors/{name}/calendar.ics": feed(
            "iCalendar feed of an actor's upcoming public calls to action with a time",
            "text/calendar",
        ),
    }
