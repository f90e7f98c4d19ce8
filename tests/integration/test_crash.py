"""No data lost: SIGKILL the node while it delivers 500 activities; after a restart all arrive."""

import asyncio
import json
import signal
import sys
from typing import Any

import pytest
from aiohttp import web

from node.services.actors import create_actor
from tests.conftest import free_port, node_env

pytestmark = [pytest.mark.db, pytest.mark.integration]
RECEIVER = "127.0.0.3"
COUNT = 500


class SlowReceiver:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def app(self) -> web.Application:
        async def inbox(request: web.Request) -> web.Response:
            body = json.loads(await request.read())
            await asyncio.sleep(0.05)
            self.seen.append(f"{request.path} {body['id']}")
            return web.Response(status=202)

        app = web.Application()
        app.router.add_post("/users/{n}/inbox", inbox)
        return app


def _env(dsn: str, url: str, port: int) -> dict[str, str]:
    return node_env(
        dsn,
        MOVEMENT_NODE_URL=url,
        MOVEMENT_NODE_PORT=str(port),
        MOVEMENT_NODE_HOST="127.0.0.4",
        MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK="true",
        MOVEMENT_NODE_LOG_LEVEL="warning",
        MOVEMENT_NODE_LOG_FORMAT="json",
        MOVEMENT_NODE_WORKER_PROCESSES="0",  # the one process is what is killed
    )


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "node",
        "serve",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _wait(predicate: Any, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_sigkill_mid_delivery_loses_nothing(
    db: Any, db_dsn: str, aiohttp_server: Any
) -> None:
    receiver = SlowReceiver()
    rport = free_port(RECEIVER)
    await aiohttp_server(receiver.app(), host=RECEIVER, port=rport)
    nport = free_port("127.0.0.4")
    url = f"http://127.0.0.4:{nport}"
    env = _env(db_dsn, url, nport)

    # the node's own database: a group with 500 followers, each with its own inbox
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "node",
        "db",
        "migrate",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert await proc.wait() == 0
    group = await create_actor(db, kind="group", name="housing")
    await db.executemany(
        "INSERT INTO followers (local_actor_id, follower, state, inbox) VALUES ($1, $2, 'accepted', $3)",
        [
            (
                group.id,
                f"http://{RECEIVER}:{rport}/users/u{i}",
                f"http://{RECEIVER}:{rport}/users/u{i}/inbox",
            )
            for i in range(COUNT)
        ],
    )
    post = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "node",
        "post",
        "housing",
        "Everyone out on Saturday.",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await post.communicate()
    assert post.returncode == 0, err.decode()
    assert await db.fetchval("SELECT count(*) FROM deliveries") == COUNT

    first = await _start(env)
    try:
        await _wait(lambda: len(receiver.seen) >= 100, timeout=60)
    except AssertionError:
        first.kill()
        _o, e = await first.communicate()
        raise AssertionError(e.decode()[-3000:]) from None
    first.send_signal(signal.SIGKILL)
    await first.wait()
    got_before_restart = len(set(receiver.seen))
    assert got_before_restart < COUNT, "the kill must land part-way"
    assert await db.fetchval("SELECT count(*) FROM deliveries") > 0

    second = await _start(env)
    try:
        await _wait(lambda: len(set(receiver.seen)) == COUNT, timeout=90)
        for _ in range(100):
            if await db.fetchval("SELECT count(*) FROM deliveries") == 0:
                break
            await asyncio.sleep(0.1)
        assert await db.fetchval("SELECT count(*) FROM deliveries") == 0
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=30)
    assert second.returncode == 0
    assert {s.split()[0] for s in receiver.seen} == {
        f"/users/u{i}/inbox" for i in range(COUNT)
    }
