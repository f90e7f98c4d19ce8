"""The OpenAPI paths of images: uploads and a group's avatar and header."""

from __future__ import annotations

from typing import Any

from node.web.openapi_loop import Auth, error

UPLOADED = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "for images[].media, avatar, header"},
        "url": {"type": "string", "format": "uri"},
        "mediaType": {"enum": ["image/jpeg", "image/png"]},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "bytes": {"type": "integer"},
        "purpose": {"enum": ["attachment", "avatar", "header"]},
    },
}


def paths(auth: Auth) -> dict[str, Any]:
    picture = {"type": ["string", "null"], "description": "an upload's id; null: none"}
    return {
        "/api/v1/media": {
            "post": {
                "summary": "Upload an image (re-encoded; EXIF, GPS and all metadata removed)",
                "security": auth,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "purpose": {
                                        "enum": ["attachment", "avatar", "header"],
                                        "default": "attachment",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "kept; attach it by its id",
                        "content": {"application/json": {"schema": UPLOADED}},
                    },
                    "401": error("a bearer token is required"),
                    "413": error("too_large: more than 10 MiB"),
                    "415": error("unsupported_media: not a JPEG, PNG, WebP or GIF"),
                    "422": error(
                        "too_many_pixels, undecodable, invalid_purpose or file_required"
                    ),
                },
            }
        },
        "/api/v1/profile": {
            "put": {
                "summary": "Set the group's avatar and header (followers get an Update)",
                "security": auth,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "minProperties": 1,
                                "properties": {"avatar": picture, "header": picture},
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "the pictures' URLs now"},
                    "401": error("a bearer token is required"),
                    "422": error("unknown_image: not the group's upload for that use"),
                },
            }
        },
    }
