"""The CLI end to end, as subprocesses: serve, init, db status, config errors."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from node.config import load_settings
from tests.conftest import free_port

pytestmark = pytest.mark.db


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MOVEMENT_NODE_") and k != "DATABASE_URL"
    }
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"), **extra)
    return env


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _wait_healthy(
    port: int, proc: subprocess.Popen[str], timeout: float = 30.0
) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"serve exited early: {proc.stderr.read() if proc.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/healthz", timeout=2
            ) as resp:
                body: dict[str, str] = json.loads(resp.read())
                return body
        except OSError:
            time.sleep(0.2)
    raise AssertionError("node did not become healthy in time")


def _serve_once(
    home: Path, port: int, stop: signal.Signals
) -> tuple[int, list[dict[str, object]]]:
    """Run serve until healthy, stop it with `stop`; return the PostgreSQL pid and log events."""
    env = _env(home, MOVEMENT_NODE_PORT=str(port), MOVEMENT_NODE_LOG_FORMAT="json")
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "serve"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_healthy(port, proc) == {"status": "ok", "database": "ok"}
        pgdata = home / ".local" / "share" / "movement-node" / "pgdata"
        pg_pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    return pg_pid, [
        json.loads(line) for line in err.splitlines() if line.startswith("{")
    ]


def _gone(pid: int) -> bool:
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_serve_with_no_settings_starts_reuses_and_stops_postgres(
    tmp_path: Path,
) -> None:
    port = free_port()
    pg_pid, events = _serve_once(tmp_path, port, signal.SIGINT)
    started = next(e for e in events if e["event"] == "embedded_postgres_started")
    assert started["initialised"] is True
    assert any(
        e["event"] == "request" and e["path"] == "/healthz" and e["status"] == 200
        for e in events
    )
    assert _gone(pg_pid), "Ctrl-C left PostgreSQL running"

    pg_pid2, events2 = _serve_once(tmp_path, port, signal.SIGTERM)
    started2 = next(e for e in events2 if e["event"] == "embedded_postgres_started")
    assert started2["initialised"] is False, "second start ran initdb again"
    assert not any(e["event"] == "migration_applied" for e in events2)
    assert _gone(pg_pid2), "SIGTERM left PostgreSQL running"


def test_bad_setting_stops_startup_with_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _cli("serve", env=_env(tmp_path, MOVEMENT_NODE_URL="htp:/nowhere"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "MOVEMENT_NODE_URL" in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_key_in_config_file_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("colour = 'red'\n")
    result = _cli("--config", str(config), "serve", env=_env(tmp_path))
    assert result.returncode == 2
    assert "colour" in result.stderr
    assert "unknown setting" in result.stderr


def test_init_writes_a_config_that_loads_and_refuses_to_overwrite(
    tmp_path: Path,
) -> None:
    target = tmp_path / "node.toml"
    first = _cli("init", "--path", str(target), env=_env(tmp_path))
    assert first.returncode == 0, first.stderr
    text = target.read_text()
    assert "# port = 8080" in text
    assert "# signature_window = 3600" in text
    assert load_settings(env={}, config_path=target).port == 8080
    second = _cli("init", "--path", str(target), env=_env(tmp_path))
    assert second.returncode == 1
    assert "--force" in second.stderr


def test_db_status_lists_applied_migrations(tmp_path: Path, db_dsn: str) -> None:
    result = _cli("db", "status", env=_env(tmp_path, DATABASE_URL=db_dsn))
    assert result.returncode == 0, result.stderr
    assert "applied  0001_init" in result.stdout
    assert "pending" not in result.stdout


def test_help_lists_commands(tmp_path: Path) -> None:
    result = _cli("--help", env=_env(tmp_path))
    assert result.returncode == 0
    for command in ("init", "serve", "db"):
        assert command in result.stdout


def test_deploy_example_toml_is_what_init_writes() -> None:
    from node.cli.server import render_config
    from node.config import Settings

    example = Path(__file__).resolve().parents[2] / "deploy" / "example.toml"
    assert example.read_text() == render_config(Settings())
