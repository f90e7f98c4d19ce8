"""An operator's first hour with the CLI: no phantom node, quiet output, one clear line per
error, the settings found the way the systemd unit finds them."""

from pathlib import Path

import pytest

from node.config import config_file, load_settings
from tests.node.test_cli import _cli, _env

pytestmark = pytest.mark.db


def test_an_admin_command_without_the_nodes_settings_creates_nothing(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    done = _cli("group", "create", "tenants", env=env)
    assert done.returncode == 1
    data_dir = tmp_path / ".local" / "share" / "movement-node"
    assert "node http://localhost:8080 — settings: no settings file" in done.stderr
    assert f"no node database in {data_dir / 'pgdata'}" in done.stderr
    assert "--config FILE" in done.stderr
    assert done.stdout == ""
    assert not (data_dir / "pgdata" / "PG_VERSION").exists()
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, done.stderr


def test_db_init_then_commands_answer_on_stdout_and_stay_quiet(tmp_path: Path) -> None:
    env = _env(tmp_path)
    config = tmp_path / "node.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\nurl = "https://city.example"\n'
    )
    init = _cli("db", "init", "--config", str(config), env=env)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "data" / "pgdata" / "PG_VERSION").exists()
    made = _cli("--config", str(config), "group", "create", "tenants", env=env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("created group @tenants@city.example")
    assert made.stderr.splitlines() == [
        f"movement-node: node https://city.example — settings: {config}; database: "
        f"embedded PostgreSQL in {tmp_path / 'data' / 'pgdata'}"
    ]
    loud = _cli("group", "list", "--config", str(config), "-v", env=env)
    assert loud.returncode == 0, loud.stderr
    assert "tenants" in loud.stdout
    assert "embedded_postgres_started" in loud.stderr  # -v shows the info lines


def test_settings_are_found_in_the_system_file_when_the_data_dir_has_none(
    tmp_path: Path,
) -> None:
    system = tmp_path / "etc" / "movement-node.toml"
    env = {"MOVEMENT_NODE_DATA_DIR": str(tmp_path / "data")}
    assert config_file(env, system=system) == (None, False)
    system.parent.mkdir()
    system.write_text('url = "https://node.example.org"\n')
    assert config_file(env, system=system) == (system, False)
    settings = load_settings(env, system=system)
    assert settings.url == "https://node.example.org"
    assert settings.source == system
    own = tmp_path / "data" / "movement-node.toml"
    own.parent.mkdir()
    own.write_text('url = "https://own.example"\n')
    assert config_file(env, system=system) == (own, False)  # the data dir's file first
    named = tmp_path / "named.toml"
    assert config_file({**env, "MOVEMENT_NODE_CONFIG": str(named)}, system=system) == (
        named,
        True,
    )


def test_publish_reports_every_failing_field_at_once_and_what_is_valid(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, MOVEMENT_NODE_DATA_DIR=str(tmp_path / "data"))
    assert _cli("db", "init", env=env).returncode == 0
    assert _cli("group", "create", "tenants", env=env).returncode == 0
    for cluster in ("housing", "transport"):
        assert _cli("cluster", "create", cluster, env=env).returncode == 0
    vision = tmp_path / "vision.json"
    vision.write_text(
        '{"title": "A city for all", "summary": "Homes.", "body": "…",'
        ' "horizon": 7, "clusters": ["housing", "transit"]}'
    )
    done = _cli("publish", "vision", "--as", "tenants", "--file", str(vision), env=env)
    assert done.returncode == 1
    assert "horizon: must be one of 10, 20, 50" in done.stderr
    assert (
        "clusters.1: no cluster 'transit' on this node (this node has housing, transport)"
        in done.stderr
    )
    assert done.stderr.count("error:") == 1


def test_a_cluster_name_with_a_dash_is_refused_with_a_suggestion() -> None:
    from node.names import InvalidNameError, check_cluster_name

    with pytest.raises(InvalidNameError) as refused:
        check_cluster_name("Public-Health")
    message = str(refused.value)
    assert "no '-'" in message
    assert "try 'public_health'" in message
    assert "'_' or '-'" not in message  # never says '-' is allowed
