"""`serve --role all` with worker processes, end to end as subprocesses: it starts them on
the embedded PostgreSQL, restarts one that dies, stops them with itself, and a worker whose
parent was killed outright stops by itself."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.node.test_cli import _env, _gone, _wait_healthy

pytestmark = pytest.mark.db


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _one_worker(pid: int, *, not_: int = 0, timeout: float = 30.0) -> int:
    """Wait for `pid` to have exactly one child other than `not_`; return its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in _children(pid) if c != not_]
        if len(found) == 1:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no worker process under {pid}")


def _two_free_ports() -> int:
    """A port P with P + 1 free too (serve's metrics, then its worker's)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two free ports in a row")


def _ready(metrics_port: int, timeout: float = 30.0) -> None:
    """Wait until a process serves /metrics on `metrics_port` (it is up, signals handled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{metrics_port}/metrics", timeout=2
            ) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing served metrics on {metrics_port}")


def _serve(home: Path, port: int, metrics: int = 0) -> subprocess.Popen[str]:
    env = _env(
        home,
        MOVEMENT_NODE_PORT=str(port),
        MOVEMENT_NODE_LOG_FORMAT="json",
        MOVEMENT_NODE_WORKER_PROCESSES="1",
        MOVEMENT_NODE_METRICS_PORT=str(metrics),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "node", "serve"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_serve_runs_restarts_and_stops_its_worker_processes(tmp_path: Path) -> None:
    port, metrics = free_port(), _two_free_ports()
    proc = _serve(tmp_path, port, metrics)
    try:
        _wait_healthy(port, proc)
        worker = _one_worker(proc.pid)
        _ready(metrics + 1)  # the worker serves its own metrics, one port up
        cmdline = Path(f"/proc/{worker}/cmdline").read_text().split("\0")
        assert cmdline[-4:-1] == ["serve", "--role", "worker"]
        os.kill(worker, signal.SIGKILL)
        again = _one_worker(proc.pid, not_=worker)
        _ready(metrics + 1)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert _gone(again), "the worker outlived serve"
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    exited = [e for e in events if e["event"] == "worker_process_exited"]
    assert [(e["pid"], e["code"]) for e in exited] == [(worker, -signal.SIGKILL)]
    assert [e["pid"] for e in events if e["event"] == "worker_process_started"] == [
        worker,
        again,
    ]
    # the restarted worker ran on the parent's embedded PostgreSQL, then stopped cleanly
    assert [e["code"] for e in events if e["event"] == "worker_process_stopped"] == [0]

    # killed outright, serve leaves its worker to stop by itself; a new serve starts
    killed = _serve(tmp_path, port)
    try:
        _wait_healthy(port, killed)
        orphan = _one_worker(killed.pid)
        killed.kill()
        killed.wait()
        assert _gone(orphan), "a worker outlived its killed parent"
    finally:
        if killed.poll() is None:
            killed.kill()
        killed.communicate()
    last = _serve(tmp_path, port)
    try:
        assert _wait_healthy(port, last) == {"status": "ok", "database": "ok"}
        last.send_signal(signal.SIGTERM)
        last.communicate(timeout=60)
    finally:
        if last.poll() is None:
            last.kill()
            last.wait()
    assert last.returncode == 0
