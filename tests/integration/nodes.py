"""Several real nodes on loopback in one test: each its own database, app and address,
started, stopped for good, or restarted on the same address (a node that was offline)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from node.config import Settings
from node.runtime import appkeys
from node.runtime.app import create_app
from node.services.actors import create_actor
from node.storage import tokens
from node.storage.db import with_database
from tests.conftest import TEMPLATE, admin_exec, free_port, run_cli


@dataclass
class Node:
    name: str
    url: str
    settings: Settings
    server: TestServer | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def app(self) -> web.Application:
        assert self.server is not None, f"{self.name} is stopped"
        return self.server.app

    @property
    def db(self) -> Any:
        return self.app[appkeys.DB]

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def actor(self, name: str) -> str:
        return f"{self.url}/actors/{name}"

    async def cli(self, *args: str) -> tuple[int, str, str]:
        return await run_cli(self.settings, *args, private=True)

    async def ok(self, *args: str) -> str:
        code, out, err = await self.cli(*args)
        assert code == 0, f"{self.name}: {' '.join(args)}: {err}"
        return out

    async def found(self, name: str, charter: str) -> str:
        return await self.ok("confederation", "found", name, "--charter", charter)

    async def show(self, confederation: str) -> dict[str, Any]:
        shown: dict[str, Any] = json.loads(
            await self.ok("confederation", "show", confederation)
        )
        return shown

    async def group(self, name: str) -> str:
        """Create a group with an API token; returns the token."""
        group = await create_actor(self.db, kind="group", name=name)
        _id, secret = await tokens.create(self.db, local_actor_id=group.id, label="t")
        self.tokens[name] = secret
        return secret

    async def publish(self, group: str, collection: str, data: Any) -> dict[str, Any]:
        auth = {"Authorization": f"Bearer {self.tokens[group]}"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{self.url}/api/v1/{collection}", json=data, headers=auth
            ) as resp,
        ):
            assert resp.status == 201, await resp.text()
            body: dict[str, Any] = (await resp.json())["object"]
            return body

    async def api(self, method: str, path: str, group: str, **kw: Any) -> Any:
        auth = {"Authorization": f"Bearer {self.tokens[group]}"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.url + path, headers=auth, **kw) as resp,
        ):
            return resp.status, await resp.json()

    async def request(
        self, method: str, path: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, Any]:
        """(status, JSON answer) of a request with these headers (a token's)."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method, self.url + path, json=body, headers=headers
            ) as resp,
        ):
            return resp.status, await resp.json(content_type=None)


class Nodes:
    def __init__(self, pg_dsn: str, settings_for: Any, tmp_path: Path) -> None:
        self._pg_dsn = pg_dsn
        self._settings_for = settings_for
        self._tmp = tmp_path
        self.databases: list[str] = []
        self.running: list[Node] = []

    async def start(self, name: str, host: str) -> Node:
        db = f"n_{name}_{os.getpid()}_{free_port()}"
        await admin_exec(self._pg_dsn, f'CREATE DATABASE "{db}" TEMPLATE "{TEMPLATE}"')
        self.databases.append(db)
        url = f"http://{host}:{free_port(host)}"
        settings = self._settings_for(
            with_database(self._pg_dsn, db), url=url, data_dir=self._tmp / name
        )
        node = Node(name, url, settings)
        await self.restart(node)
        return node

    async def restart(self, node: Node) -> None:
        host, port = node.host.split(":")
        node.server = TestServer(create_app(node.settings), host=host, port=int(port))
        await node.server.start_server()
        self.running.append(node)

    async def stop(self, node: Node) -> None:
        """The node's process is gone: its address refuses connections, its worker stops."""
        assert node.server is not None
        await node.server.close()
        node.server = None
        self.running.remove(node)

    async def close(self) -> None:
        for node in list(self.running):
            await self.stop(node)
        for db in self.databases:
            await admin_exec(
                self._pg_dsn, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'
            )
