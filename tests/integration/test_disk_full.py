"""A full disk, for real: PostgreSQL on a small tmpfs of its own that the test fills. Needs
the right to mount (root, as in a CI container or a VM); skipped, saying why, elsewhere.

What is asserted: publishing answers 503 with Retry-After (never 500) and stores nothing,
/healthz says `disk_full`, and both recover once there is room again."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.runtime import appkeys
from node.runtime.app import create_app
from node.services.actors import create_actor
from node.storage import tokens
from node.storage.embedded import running
from tests.integration.test_movement import CALL

pytestmark = [pytest.mark.db, pytest.mark.integration]
SIZE = "160m"  # room for a fresh cluster and its first WAL segments


@contextlib.contextmanager
def _small_disk() -> Iterator[Path]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    where = Path(tempfile.mkdtemp(prefix="movnode-disk-"))
    where.chmod(0o755)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0777", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(
            f"this machine does not allow mounting a tmpfs: {mounted.stderr.strip()}"
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        with contextlib.suppress(OSError):
            where.rmdir()


def _fill(disk: Path) -> Path:
    """Fill the filesystem to the last byte; returns the filler file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 512):  # megabytes, then the last pages
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


async def test_a_full_disk_is_a_503_and_an_unhealthy_node_until_there_is_room(
    settings_for: Any, aiohttp_client: Any
) -> None:
    with _small_disk() as disk, running(disk / "pgdata") as dsn:
        node = await aiohttp_client(create_app(settings_for(dsn)))
        pool = node.app[appkeys.DB]
        group = await create_actor(pool, kind="group", name="tenants")
        for cluster in CALL["clusters"]:
            await create_actor(pool, kind="cluster", name=cluster)
        _id, secret = await tokens.create(pool, local_actor_id=group.id, label="t")
        auth = {"Authorization": f"Bearer {secret}"}
        assert (await node.get("/healthz")).status == 200
        filler = _fill(disk)
        try:
            statuses, bodies = [], []
            for _ in range(5):
                resp = await node.post("/api/v1/calls", json=CALL, headers=auth)
                statuses.append(resp.status)
                bodies.append(await resp.text())
                if resp.status == 503:
                    assert resp.headers["Retry-After"] == "5"
                    assert (await resp.json())["error"] == "unavailable"
            # never a 500, nothing half-stored
            assert set(statuses) == {503}, (statuses, bodies[-1])
            health = await node.get("/healthz")
            assert health.status == 503
            assert (await health.json())["database"] in ("disk_full", "cannot_write")
        finally:
            filler.unlink()
        resp = await node.post("/api/v1/calls", json=CALL, headers=auth)
        assert resp.status == 201, await resp.text()
        assert (await node.get("/healthz")).status == 200
        assert await pool.fetchval("SELECT count(*) FROM objects") == 1
