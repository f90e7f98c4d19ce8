"""Real peers for the interop suite, each installed from its registry into `.interop/` at the
repository's root (once; pinned versions) and run as its own process on loopback, and our
own node as `movement-node serve` in its own process.

An install that fails raises: the suite fails loudly, it never skips a peer it cannot have.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import free_port, node_env, until

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".interop"
ACTIVITYRELAY = "activityrelay==0.3.5"
BOVINE = "bovine==0.5.19"
# bovine 0.5.19 calls http_sf.parse_dictionary(bytes), the API of http-sf 1.0 (it sets no
# upper bound; with 1.1 and later every RFC 9421 signature fails to parse)
BOVINE_HTTP_SF = "http-sf==1.0.7"
HOST = "127.0.0.1"
HTTPS = (
    443  # activityrelay reaches every server at https://{host}/ (no port of its own)
)
ADDRESSES = ("127.0.0.1", "127.0.0.20", "127.0.0.21", "127.0.0.22", "127.0.0.23")


class PeerInstallError(RuntimeError):
    """A peer could not be installed from its registry (the suite fails, never skips)."""


def _run(cmd: list[str], *, cwd: Path | None = None) -> None:
    done = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        msg = f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        raise PeerInstallError(msg)


def python_peer(name: str, *requirements: str) -> Path:
    """A venv of its own for a Python peer (its pins must not meet ours); its bin dir."""
    venv = CACHE / name
    stamp = venv / "installed.txt"
    wanted = "\n".join(requirements)
    if stamp.exists() and stamp.read_text() == wanted:
        return venv / "bin"
    _run([sys.executable, "-m", "venv", "--clear", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *requirements])
    stamp.write_text(wanted)
    return venv / "bin"


def npm_peer(source: Path) -> Path:
    """`npm ci` of a Node peer's pinned package-lock into the cache; its directory."""
    target = CACHE / source.name
    lock = (source / "package-lock.json").read_text()
    stamp = target / "installed.lock"
    target.mkdir(parents=True, exist_ok=True)
    for script in source.glob("*.mjs"):  # the peer's own code, always the current one
        (target / script.name).write_text(script.read_text())
    if stamp.exists() and stamp.read_text() == lock:
        return target
    for file in ("package.json", "package-lock.json"):
        (target / file).write_text((source / file).read_text())
    _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=target)
    stamp.write_text(lock)
    return target


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.asynccontextmanager
async def tls_proxy(host: str, target: int, chain: Path) -> AsyncIterator[None]:
    """https://{host}/ in front of plain HTTP on {host}:{target}, as a web server would."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain)

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(host, target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    try:
        server = await asyncio.start_server(one, host, HTTPS, ssl=context)
    except PermissionError as exc:
        msg = f"the interop suite serves https://{host}/ on port {HTTPS}: it must run as root"
        raise PeerInstallError(msg) from exc
    try:
        yield
    finally:
        server.close()


async def _status(url: str) -> int | None:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp,
        ):
            return resp.status
    except (aiohttp.ClientError, TimeoutError):
        return None


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout=20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _trusting(env: dict[str, str]) -> aiohttp.TCPConnector:
    """A connector that trusts the test CA (as the node's own processes do)."""
    return aiohttp.TCPConnector(
        ssl=ssl.create_default_context(cafile=env["SSL_CERT_FILE"])
    )


@dataclass
class ServedNode:
    """`movement-node serve` in its own process, trusting the test CA."""

    url: str
    env: dict[str, str]

    async def cli(self, *args: str, stdin: str | None = None) -> str:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "node",
            *args,
            env=self.env | {"MOVEMENT_NODE_LOG_LEVEL": "warning"},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(
            proc.communicate(None if stdin is None else stdin.encode()), timeout=60
        )
        assert proc.returncode == 0, f"{' '.join(args)}: {err.decode()}"
        return out.decode()

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        """GET on the node's public URL: (status, JSON body)."""
        async with (
            aiohttp.ClientSession(connector=_trusting(self.env)) as session,
            session.get(self.url + path, params=params) as resp,
        ):
            body = await resp.json(content_type=None) if resp.status < 500 else None
            return resp.status, body

    async def metrics(self) -> str:
        async with (
            aiohttp.ClientSession(connector=_trusting(self.env)) as session,
            session.get(
                self.url + "/metrics",
                headers={
                    "Authorization": f"Bearer {self.env['MOVEMENT_NODE_METRICS_TOKEN']}"
                },
            ) as resp,
        ):
            assert resp.status == 200
            return await resp.text()


@contextlib.asynccontextmanager
async def served_node(
    dsn: str, tls: tuple[Path, Path], name: str, host: str
) -> AsyncIterator[ServedNode]:
    """The node at https://{host}/ (TLS in front of its own HTTP port)."""
    ca_file, chain = tls
    port = free_port(host)
    url = f"https://{host}"
    env = node_env(
        dsn,
        MOVEMENT_NODE_URL=url,
        MOVEMENT_NODE_HOST=host,
        MOVEMENT_NODE_PORT=str(port),
        MOVEMENT_NODE_NODE_NAME=name,
        MOVEMENT_NODE_WORKER_PROCESSES="0",
        MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK="true",
        MOVEMENT_NODE_METRICS_TOKEN="interop-metrics-token",
        MOVEMENT_NODE_LOG_LEVEL="info",
        SSL_CERT_FILE=str(ca_file),
    )
    log = (CACHE / f"node-{name}.log").open("w")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", "serve", env=env, stdout=log, stderr=log
    )
    try:
        async with tls_proxy(host, port, chain):
            await until(
                lambda: _status(f"http://{host}:{port}/healthz"),
                timeout=60,
                what=f"node {name}",
            )
            yield ServedNode(url, env)
    finally:
        await _stop(proc)
        log.close()


@dataclass
class Relay:
    """activityrelay behind TLS: its actor is https://{domain}/actor, as it insists."""

    domain: str
    directory: Path
    bin: Path

    @property
    def actor(self) -> str:
        return f"https://{self.domain}/actor"

    @property
    def inbox(self) -> str:
        return f"https://{self.domain}/inbox"

    def subscribers(self) -> list[str]:
        """The inboxes the relay counts as accepted (its own database says)."""
        import sqlite3

        with contextlib.closing(
            sqlite3.connect(self.directory / "relay.sqlite3")
        ) as db:
            rows = db.execute("SELECT inbox FROM inboxes WHERE accepted").fetchall()
        return sorted(r[0] for r in rows)


@contextlib.asynccontextmanager
async def activityrelay(
    directory: Path, tls: tuple[Path, Path], host: str
) -> AsyncIterator[Relay]:
    """activityrelay at https://{host}/ (its config's domain is the bare address)."""
    ca_file, chain = tls
    bin_dir = python_peer("activityrelay", ACTIVITYRELAY)
    private = free_port(host)
    domain = host
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "relay.yaml"
    config.write_text(
        json.dumps(  # YAML is a superset of JSON
            {
                "listen": host,
                "port": private,
                "domain": domain,
                "workers": 1,
                "db_type": "sqlite",
                "ca_type": "database",
                "sq_path": "relay.sqlite3",
            }
        )
    )
    relay = str(bin_dir / "activityrelay")
    env = {**os.environ, "HOME": str(directory), "SSL_CERT_FILE": str(ca_file)}
    setup = await asyncio.create_subprocess_exec(
        relay, "-c", str(config), "setup", "--skip-questions",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env=env, cwd=directory,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(setup.communicate(b"n\n"), timeout=120)
    if not (directory / "relay.sqlite3").exists():
        msg = f"activityrelay setup failed: {out.decode()[-2000:]}"
        raise PeerInstallError(msg)
    log = (directory / "relay.log").open("w")
    proc = await asyncio.create_subprocess_exec(
        relay, "-c", str(config), "run", env=env, cwd=directory, stdout=log, stderr=log
    )
    try:
        async with tls_proxy(host, private, chain):
            await until(
                lambda: _status(f"http://{host}:{private}/actor"),
                timeout=60,
                what="activityrelay",
            )
            yield Relay(domain, directory, bin_dir)
    finally:
        await _stop(proc)
        log.close()


FEDIFY_SOURCE = ROOT / "tests" / "interop" / "fedify"
# the package names peer.mjs loads: the newest 1.x, and 1.5.9 (the oldest still met, with
# fewer contexts preloaded)
FEDIFY_VERSIONS = {"1.10.12": "@fedify/fedify", "1.5.9": "fedify-1.5"}


def fedify_dir() -> Path:
    """Fedify and Node 22 (both from npm, pinned by package-lock.json)."""
    return npm_peer(FEDIFY_SOURCE)


def _fedify_env(ca_file: Path, package: str) -> dict[str, str]:
    return {**os.environ, "NODE_EXTRA_CA_CERTS": str(ca_file), "FEDIFY": package}


@dataclass
class FedifyServer:
    url: str
    log: Path

    @property
    def actor(self) -> str:
        return f"{self.url}/users/fedi"

    def received(self) -> list[dict[str, Any]]:
        """The activities its inbox verified, in order."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    async def order(self, what: str, **body: Any) -> Any:
        """POST /control/WHAT: the peer acts (follow, reply, vote, lookup)."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/control/{what}", json=body) as resp,
        ):
            answer = await resp.json(content_type=None)
            assert resp.status == 200, answer
            return answer


@contextlib.asynccontextmanager
async def fedify_server(
    directory: Path,
    ca_file: Path,
    host: str,
    *,
    version: str = "1.10.12",
    rfc9421_only: bool = False,
) -> AsyncIterator[FedifyServer]:
    """Fedify `version` serving one actor on http://{host}:PORT (its output:
    directory/fedify.log)."""
    code = fedify_dir()
    port = free_port(host)
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "received.jsonl"
    output = (directory / "fedify.log").open("w")
    proc = await asyncio.create_subprocess_exec(
        str(code / "node_modules" / ".bin" / "node"),
        "peer.mjs",
        "serve",
        host,
        str(port),
        str(log),
        *(["--rfc9421-only"] if rfc9421_only else []),
        cwd=code,
        env=_fedify_env(ca_file, FEDIFY_VERSIONS[version]),
        stdout=output,
        stderr=output,
    )
    url = f"http://{host}:{port}"

    async def up() -> bool:
        assert proc.returncode is None, (directory / "fedify.log").read_text()[-3000:]
        return await _status(f"{url}/users/fedi") is not None

    try:
        await until(up, timeout=60, what="Fedify")
        yield FedifyServer(url, log)
    finally:
        await _stop(proc)
        output.close()


@dataclass
class BovinePeer:
    url: str
    log: Path

    @property
    def actor(self) -> str:
        return f"{self.url}/actor"

    def received(self) -> list[dict[str, Any]]:
        """Each POST to its inbox: type, actor, the owner bovine verified (or None), scheme."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@contextlib.asynccontextmanager
async def bovine_peer(
    directory: Path, ca_file: Path, host: str, *, rfc9421_only: bool = False
) -> AsyncIterator[BovinePeer]:
    """bovine 0.5.19's HTTP signature verifier behind an inbox on http://{host}:PORT."""
    bin_dir = python_peer("bovine", BOVINE, BOVINE_HTTP_SF)
    port = free_port(host)
    directory.mkdir(parents=True, exist_ok=True)
    log, output = directory / "received.jsonl", (directory / "bovine.log").open("w")
    proc = await asyncio.create_subprocess_exec(
        str(bin_dir / "python"),
        str(ROOT / "tests" / "interop" / "bovine" / "inbox.py"),
        host,
        str(port),
        str(log),
        *(["--rfc9421-only"] if rfc9421_only else []),
        env={**os.environ, "SSL_CERT_FILE": str(ca_file)},
        stdout=output,
        stderr=output,
    )
    url = f"http://{host}:{port}"

    async def up() -> bool:
        assert proc.returncode is None, (directory / "bovine.log").read_text()[-3000:]
        return await _status(f"{url}/actor") is not None

    try:
        await until(up, timeout=60, what="bovine")
        yield BovinePeer(url, log)
    finally:
        await _stop(proc)
        output.close()
