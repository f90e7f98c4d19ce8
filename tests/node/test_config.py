from pathlib import Path

import pytest

from node.config import ConfigError, Settings, load_settings, worker_count


def test_no_settings_gives_localhost_8080_in_a_user_data_dir(tmp_path: Path) -> None:
    settings = load_settings(env={"HOME": str(tmp_path)}, config_path=None)
    assert settings.url == "http://localhost:8080"
    assert settings.port == 8080
    assert settings.database_url is None
    assert settings.authorized_fetch is True
    assert settings.data_dir.name == "movement-node"


def test_port_alone_moves_the_default_url() -> None:
    settings = load_settings(env={"MOVEMENT_NODE_PORT": "9123"})
    assert settings.url == "http://localhost:9123"


def test_environment_overrides_toml(tmp_path: Path) -> None:
    toml = tmp_path / "node.toml"
    toml.write_text('url = "https://seattle.example"\nport = 9000\nplace = "Seattle"\n')
    settings = load_settings(
        env={"MOVEMENT_NODE_PORT": "9001", "DATABASE_URL": "postgresql://u@h/db"},
        config_path=toml,
    )
    assert settings.url == "https://seattle.example"
    assert settings.port == 9001
    assert settings.place == "Seattle"
    assert settings.database_url == "postgresql://u@h/db"


def test_url_is_normalised_to_scheme_host_port() -> None:
    settings = load_settings(env={"MOVEMENT_NODE_URL": "https://Seattle.Example:8443/"})
    assert settings.url == "https://seattle.example:8443"
    assert settings.host_name == "seattle.example:8443"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MOVEMENT_NODE_URL": "not a url"}, "MOVEMENT_NODE_URL"),
        ({"MOVEMENT_NODE_URL": "ftp://x.example"}, "MOVEMENT_NODE_URL"),
        ({"MOVEMENT_NODE_URL": "https://x.example/path"}, "MOVEMENT_NODE_URL"),
        ({"MOVEMENT_NODE_PORT": "http"}, "MOVEMENT_NODE_PORT"),
        ({"MOVEMENT_NODE_PORT": "70000"}, "MOVEMENT_NODE_PORT"),
        ({"MOVEMENT_NODE_LOG_FORMAT": "xml"}, "MOVEMENT_NODE_LOG_FORMAT"),
        (
            {"MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK": "maybe"},
            "MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK",
        ),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"MOVEMENT_NODE_NODE_NAME": "Bad Name"}, "MOVEMENT_NODE_NODE_NAME"),
        ({"MOVEMENT_NODE_WORKER_PROCESSES": "many"}, "MOVEMENT_NODE_WORKER_PROCESSES"),
        ({"MOVEMENT_NODE_WORKER_PROCESSES": "-1"}, "MOVEMENT_NODE_WORKER_PROCESSES"),
    ],
    ids=[
        "garbled-url",
        "ftp-url",
        "url-with-path",
        "port-word",
        "port-range",
        "log-format",
        "bool",
        "dsn",
        "node-name",
        "workers-word",
        "workers-negative",
    ],
)
def test_bad_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env=env)
    assert caught.value.setting == named


def test_unknown_toml_key_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "node.toml"
    toml.write_text("prot = 8080\n")
    with pytest.raises(ConfigError, match=r"prot .*unknown setting"):
        load_settings(env={}, config_path=toml)


def test_unreadable_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(env={}, config_path=tmp_path / "missing.toml")


def test_invalid_toml_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "node.toml"
    toml.write_text("url = \n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(env={}, config_path=toml)


def test_config_file_in_data_dir_is_read_by_default(tmp_path: Path) -> None:
    (tmp_path / "movement-node.toml").write_text('place = "Cascadia"\n')
    settings = load_settings(env={"MOVEMENT_NODE_DATA_DIR": str(tmp_path)})
    assert settings.place == "Cascadia"
    assert settings.data_dir == tmp_path


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "cpus", "expected"),
    [
        ("auto", 2, 1),
        ("auto", 1, 0),
        ("auto", None, 0),
        ("auto", 16, 3),
        ("0", 16, 0),
        ("5", 2, 5),
    ],
)
def test_worker_processes_auto_is_one_per_extra_core_capped(
    raw: str, cpus: int | None, expected: int
) -> None:
    setting = load_settings(
        env={"MOVEMENT_NODE_WORKER_PROCESSES": raw}
    ).worker_processes
    assert worker_count(setting, cpus) == expected
