"""Settings: an optional TOML file, overridden by MOVEMENT_NODE_* environment variables."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from node.movement import zones
from node.names import InvalidNameError, check_name

ENV_PREFIX = "MOVEMENT_NODE_"
APP_NAME = "movement-node"
CONFIG_FILE_NAME = "movement-node.toml"
# where the systemd unit reads its settings; admin commands find the running node there
SYSTEM_CONFIG = Path("/etc/movement-node") / CONFIG_FILE_NAME
LOG_FORMATS = ("console", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
FEDERATION_MODES = ("open", "allowlist")
DEFAULT_PORT = 8080
MAX_AUTO_WORKERS = 3  # each process holds a pool of PostgreSQL connections
MAX_WORKERS = 64
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """A setting is malformed; `setting` names it the way the operator wrote it."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the node reads from its environment, validated once at start-up."""

    url: str = "http://localhost:8080"
    data_dir: Path = dataclasses.field(
        default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME))
    )
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    log_format: str = "console"
    log_level: str = "info"
    database_url: str | None = None
    allow_private_network: bool = False
    authorized_fetch: bool = True
    signature_window: int = 3600
    place: str = ""
    timezone: str = "UTC"
    rate_inbox_actor: int = 120
    rate_inbox_host: int = 1200
    rate_failed_auth: int = 10
    client_timeout: int = 15
    max_connections: int = 1000
    node_name: str = "node"
    federation_mode: str = "open"
    metrics_port: int = 0
    metrics_token: str | None = None
    worker_processes: int | None = None  # None: auto (worker_count)
    worker_nice: int = 10  # how much a worker process lowers its CPU priority (0-19)
    media_dir: Path | None = None  # None: data_dir/media
    media_s3_bucket: str | None = None  # set: uploads go to this S3 bucket instead
    media_s3_endpoint: str | None = None  # an S3-compatible store's URL (None: AWS's)
    media_s3_region: str = "us-east-1"
    # the TOML file these settings came from (None: defaults and environment only)
    source: Path | None = None

    @property
    def host_name(self) -> str:
        """The public host (with port when not the default), as used in acct: handles."""
        return urlsplit(self.url).netloc

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def media_path(self) -> Path:
        return self.media_dir or self.data_dir / "media"


# name -> (kind, documentation) for every key a TOML file or the environment may set
SETTINGS_DOC: dict[str, tuple[str, str]] = {
    "url": ("url", "public base URL of the node (scheme, host, optional port)"),
    "data_dir": ("path", "where the embedded PostgreSQL and node state live"),
    "host": ("str", "address to bind the HTTP server to"),
    "port": ("port", "TCP port to bind the HTTP server to"),
    "log_format": ("log_format", "console (readable) or json (one JSON object a line)"),
    "log_level": ("log_level", "debug, info, warning or error"),
    "database_url": (
        "dsn",
        "external PostgreSQL; unset = embedded PostgreSQL in data_dir",
    ),
    "allow_private_network": (
        "bool",
        "allow http and private/loopback peers (local test federations only)",
    ),
    "authorized_fetch": ("bool", "require signed GETs for actor and object documents"),
    "signature_window": (
        "seconds",
        "accepted clock skew of signed requests, in seconds",
    ),
    "place": ("str", "the city or bioregion this node serves (shown in NodeInfo)"),
    "rate_inbox_actor": (
        "rate",
        "activities one remote actor may POST per minute (bursts as large); 0 = no limit",
    ),
    "rate_inbox_host": (
        "rate",
        "activities one remote host may POST per minute (bursts as large); 0 = no limit",
    ),
    "rate_failed_auth": (
        "rate",
        "wrong API tokens and sign-ins one client may try per minute; 0 = no limit",
    ),
    "client_timeout": (
        "seconds",
        "seconds a client may take to send a request's headers, and again its body "
        "(and an idle keep-alive connection stays open); slower ones are cut off",
    ),
    "max_connections": (
        "connections",
        "open client connections each serving process accepts; beyond, a new one gets 503",
    ),
    "timezone": (
        "timezone",
        "the node's IANA time zone (the publishing forms' default), e.g. Europe/Berlin",
    ),
    "node_name": ("name", "handle of the node's own actor"),
    "federation_mode": (
        "federation_mode",
        "open, or allowlist (federate only with listed hosts)",
    ),
    "metrics_port": (
        "port_or_off",
        "serve /metrics (Prometheus) on 127.0.0.1 at this port, any role; 0 = off",
    ),
    "metrics_token": (
        "secret",
        "serve /metrics on the main port to 'Authorization: Bearer <this>'; unset = off",
    ),
    "worker_processes": (
        "worker_processes",
        "extra worker processes `serve --role all` starts and restarts; auto = one per "
        f"core beyond the first, at most {MAX_AUTO_WORKERS}",
    ),
    "worker_nice": (
        "worker_nice",
        "how far `serve --role worker` processes lower their CPU priority (0-19; 0 = not "
        "at all), so requests win the cores under load and background work catches up",
    ),
    "media_dir": (
        "path",
        "where uploaded images are kept when no S3 bucket is set; unset = data_dir/media",
    ),
    "media_s3_bucket": (
        "optional_str",
        "keep uploaded images in this bucket of an S3-compatible store (credentials: "
        "the standard AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); unset = media_dir",
    ),
    "media_s3_endpoint": (
        "optional_url",
        "the S3-compatible store's URL (MinIO, Garage, Ceph, a provider's); unset = AWS",
    ),
    "media_s3_region": ("str", "the S3 region name the store expects"),
}


def _parse_bool(setting: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(setting, f"expected true or false, got {raw!r}")


def _parse_int(setting: str, raw: object, low: int, high: int) -> int:
    if isinstance(raw, bool):
        raise ConfigError(setting, f"expected a whole number, got {raw!r}")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigError(setting, f"expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(setting, f"must be between {low} and {high}, got {value}")
    return value


def _parse_url(setting: str, raw: object) -> str:
    text = str(raw).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigError(setting, f"malformed URL {text!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            setting, f"malformed URL {text!r}: need http(s)://host[:port]"
        )
    if parts.query or parts.fragment or parts.path not in ("", "/") or parts.username:
        raise ConfigError(
            setting, f"malformed URL {text!r}: only scheme, host and port"
        )
    host = parts.hostname.lower()
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"


def _parse_choice(setting: str, raw: object, choices: tuple[str, ...]) -> str:
    text = str(raw).strip().lower()
    if text not in choices:
        raise ConfigError(setting, f"expected one of {', '.join(choices)}, got {raw!r}")
    return text


def _parse_name(setting: str, raw: object) -> str:
    try:
        return check_name(str(raw))
    except InvalidNameError as exc:
        raise ConfigError(setting, str(exc)) from None


def _parse_dsn(setting: str, raw: object) -> str | None:
    text = str(raw).strip()
    if not text:
        return None  # unset: the embedded PostgreSQL
    if urlsplit(text).scheme not in ("postgres", "postgresql"):
        raise ConfigError(setting, "expected a postgresql:// URL")
    return text


def _convert(setting: str, kind: str, raw: object) -> Any:
    match kind:
        case "url":
            return _parse_url(setting, raw)
        case "path":
            return Path(str(raw)).expanduser()
        case "port":
            return _parse_int(setting, raw, 1, 65535)
        case "port_or_off":
            return _parse_int(setting, raw, 0, 65535)
        case "secret":
            text = str(raw)
            if len(text) < 16:
                raise ConfigError(setting, "use at least 16 characters")
            return text
        case "seconds":
            return _parse_int(setting, raw, 1, 7 * 24 * 3600)
        case "bool":
            return _parse_bool(setting, raw)
        case "log_format":
            return _parse_choice(setting, raw, LOG_FORMATS)
        case "log_level":
            return _parse_choice(setting, raw, LOG_LEVELS)
        case "federation_mode":
            return _parse_choice(setting, raw, FEDERATION_MODES)
        case "name":
            return _parse_name(setting, raw)
        case "dsn":
            return _parse_dsn(setting, raw)
        case "optional_str":
            return str(raw).strip() or None
        case "optional_url":
            text = str(raw).strip()
            if not text:
                return None
            if (
                urlsplit(text).scheme not in ("http", "https")
                or not urlsplit(text).hostname
            ):
                raise ConfigError(setting, "expected an http:// or https:// URL")
            return text
        case "rate":
            return _parse_int(setting, raw, 0, 1_000_000)
        case "connections":
            return _parse_int(setting, raw, 1, 1_000_000)
        case "timezone":
            try:
                return zones.check(str(raw)).key
            except zones.UnknownZoneError as exc:
                raise ConfigError(setting, str(exc)) from None
        case "worker_processes":
            if str(raw).strip().lower() == "auto":
                return None
            return _parse_int(setting, raw, 0, MAX_WORKERS)
        case "worker_nice":
            return _parse_int(setting, raw, 0, 19)
        case _:
            return str(raw)


def worker_count(setting: int | None, cpus: int | None) -> int:
    """How many extra worker processes to run: the setting, or for auto one per core beyond
    the first (at most MAX_AUTO_WORKERS)."""
    if setting is not None:
        return setting
    return max(0, min((cpus or 1) - 1, MAX_AUTO_WORKERS))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        msg = f"config file {path}"
        raise ConfigError(msg, f"cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"config file {path}"
        raise ConfigError(msg, f"invalid TOML ({exc})") from None


def default_config_path(env: Mapping[str, str]) -> Path:
    """Where `init` writes and `serve` looks for the TOML file when none is named."""
    data_dir = env.get(ENV_PREFIX + "DATA_DIR") or platformdirs.user_data_dir(APP_NAME)
    return Path(data_dir).expanduser() / CONFIG_FILE_NAME


def config_file(
    env: Mapping[str, str],
    config_path: Path | None = None,
    *,
    system: Path = SYSTEM_CONFIG,
) -> tuple[Path | None, bool]:
    """The settings file to read and whether it was named (then it must exist): `--config`,
    else MOVEMENT_NODE_CONFIG, else DATA_DIR/movement-node.toml when it exists, else the
    system-wide file the systemd unit reads when it exists, else none."""
    if config_path is not None:
        return config_path, True
    if env.get(ENV_PREFIX + "CONFIG"):
        return Path(env[ENV_PREFIX + "CONFIG"]).expanduser(), True
    for candidate in (default_config_path(env), system):
        if candidate.is_file():
            return candidate, False
    return None, False


def load_settings(
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
    *,
    system: Path = SYSTEM_CONFIG,
) -> Settings:
    """Build Settings from an optional TOML file and the environment (which wins).

    Raises:
        ConfigError: naming the first bad setting.
    """
    env = os.environ if env is None else env
    path, _named = config_file(env, config_path, system=system)
    values: dict[str, Any] = {}
    if path is not None:
        for key, raw in _read_toml(path).items():
            if key not in SETTINGS_DOC:
                msg = f"{key} (in {path})"
                raise ConfigError(msg, "unknown setting")
            values[key] = _convert(f"{key} (in {path})", SETTINGS_DOC[key][0], raw)
    for key, (kind, _doc) in SETTINGS_DOC.items():
        env_name = "DATABASE_URL" if key == "database_url" else ENV_PREFIX + key.upper()
        if (raw_env := env.get(env_name)) not in (None, ""):
            values[key] = _convert(env_name, kind, raw_env)
    if "url" not in values:
        values["url"] = f"http://localhost:{values.get('port', DEFAULT_PORT)}"
    return Settings(**values, source=path)
