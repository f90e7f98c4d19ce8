"""A newcomer's first hour, as documented: `init`, `serve` on a fresh data directory, then
the README's "First steps" lines run as written (in a fresh HOME, with only the port
changed), every authoring example of schemas/README.md published through the API, and
the pages opened. A doc that drifts from the code fails here."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.node.test_cli import _wait_healthy
from tests.test_docs import examples

pytestmark = [pytest.mark.db, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = {
    "vision": "visions",
    "call": "calls",
    "offer": "offers",
    "proposal": "proposals",
}


def first_steps() -> list[str]:
    """The shell lines of the README's First steps block (continuations joined)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## First steps", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README has a First steps shell block"
    return [line.strip() for line in block.group(1).replace("\\\n", " ").splitlines()]


def _movement_node(words: list[str], env: dict[str, str]) -> str:
    assert words[0] == "movement-node", words
    done = subprocess.run(
        [sys.executable, "-m", "node", *words[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{shlex.join(words)}: {done.stderr}"
    return done.stdout


def _request(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - loopback
            return resp.status, resp.headers.get_content_type(), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read()


def test_the_documented_first_hour_works_on_a_fresh_machine(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MOVEMENT_NODE_") and k != "DATABASE_URL"
    }
    env |= {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / ".local" / "share"),
        "MOVEMENT_NODE_PORT": str(port),
    }
    base = f"http://localhost:{port}"
    wrote = _movement_node(["movement-node", "init"], env)
    assert wrote.startswith("wrote ")
    assert Path(wrote.split(" ", 1)[1].strip()).is_file()
    server = subprocess.Popen(
        [sys.executable, "-m", "node", "serve"],
        env=env | {"MOVEMENT_NODE_WORKER_PROCESSES": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_healthy(port, server, timeout=60)["database"] == "ok"
        variables: dict[str, str] = {}
        for line in first_steps():
            line = line.replace("localhost:8080", f"localhost:{port}")
            if assignment := re.fullmatch(r"(\w+)=\$\((.*) \| tail -1\)", line):
                out = _movement_node(shlex.split(assignment.group(2)), env)
                variables[assignment.group(1)] = out.strip().splitlines()[-1]
            elif line.startswith("movement-node "):
                _movement_node(shlex.split(line), env)
            elif line.startswith("curl "):
                words = shlex.split(line.replace("$TOKEN", variables["TOKEN"]))
                url = next(w for w in words if w.startswith("http"))
                headers = dict(
                    words[i + 1].split(": ", 1)
                    for i, w in enumerate(words)
                    if w == "-H"
                )
                body_file = words[words.index("-d") + 1]
                assert body_file == "@vision.json"
                (vision,) = [d for _w, k, d in examples() if k == "vision"]
                status, _type, body = _request(
                    url, data=json.dumps(vision).encode(), headers=headers
                )
                assert status == 201, body
            else:
                pytest.fail(f"a First steps line this test cannot run: {line}")
        token = variables["TOKEN"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        published: dict[str, Any] = {}
        for where, kind, data in examples():
            status, _type, body = _request(
                f"{base}/api/v1/{COLLECTIONS[kind]}",
                data=json.dumps(data).encode(),
                headers=auth,
            )
            assert status == 201, f"{where}: {body!r}"
            published[where] = json.loads(body)
        html = {"Accept": "text/html"}
        status, kind, home = _request(f"{base}/", headers=html)
        assert (status, kind) == (200, "text/html")
        assert b"Tenants Union" in home
        assert b"Pack the council hearing" in home
        status, _kind, group = _request(f"{base}/actors/tenants", headers=html)
        assert status == 200
        assert b"Join the regional tenant confederation" in group
        for made in published.values():
            path = made["id"].removeprefix(base)
            status, _kind, _page = _request(f"{base}{path}", headers=html)
            assert status == 200, path
        status, kind, calendar = _request(f"{base}/actors/tenants/calendar.ics")
        assert (status, kind) == (200, "text/calendar")
        assert b"Comment on the draft transit plan" in calendar
        status, _kind, finger = _request(
            f"{base}/.well-known/webfinger?resource=acct:tenants@localhost:{port}"
        )
        assert status == 200
        assert json.loads(finger)["subject"] == f"acct:tenants@localhost:{port}"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            _out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            raise
    assert server.returncode == 0, err
