"""Settings: the TOML config file, environment overrides, base URLs, and the API key.

Precedence, highest first: explicit arguments → environment → config file → defaults.
Set ``FALTUI_HOME`` to keep every faltui file (config, cache, journal, state, downloads)
under one folder — tests and the demo use that for isolation.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from faltui.core.errors import ConfigError, MissingKeyError

APP_NAME = "faltui"

DEFAULT_URLS: dict[str, str] = {
    "queue": "https://queue.fal.run",
    "run": "https://fal.run",
    "rest": "https://rest.fal.ai",
    "cdn": "https://v3.fal.media",
    "platform": "https://api.fal.ai/v1",
    "openapi": "https://fal.ai/api/openapi/queue/openapi.json",
}
#: Base URLs whose hosts receive the ``Authorization: Key …`` header. The CDN gets a
#: short-lived token instead, and the OpenAPI documents need no auth.
KEYED_SERVICES = ("queue", "run", "rest", "platform")

URL_ENV = {name: f"FALTUI_{name.upper()}_URL" for name in DEFAULT_URLS}


@dataclass(frozen=True)
class Paths:
    """Where faltui keeps its files."""

    config_dir: Path
    cache_dir: Path
    data_dir: Path
    download_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def user_themes_dir(self) -> Path:
        return self.config_dir / "themes"

    @property
    def journal_file(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "state.json"

    @classmethod
    def discover(cls, env: Mapping[str, str] | None = None) -> Paths:
        """Platform directories, or everything under ``$FALTUI_HOME`` when it is set."""
        env = os.environ if env is None else env
        home = env.get("FALTUI_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(root / "config", root / "cache", root / "data", root / "downloads")
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME)),
            Path(platformdirs.user_cache_dir(APP_NAME)),
            Path(platformdirs.user_data_dir(APP_NAME)),
            Path(platformdirs.user_downloads_dir()) / APP_NAME,
        )


@dataclass(frozen=True)
class Settings:
    """Everything the core needs to talk to fal (or to the emulator)."""

    key: str | None = None
    key_source: str = ""
    urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_URLS))
    paths: Paths = field(default_factory=Paths.discover)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    poll_interval: float = 1.0
    #: Status streams open at once (live jobs beyond are polled; see core/scheduler.py).
    max_active_jobs: int = 1024
    catalog_ttl: float = 24 * 3600.0
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    demo: bool = False
    raw: dict[str, Any] = field(default_factory=dict)
    #: Why the key found (``key_source``) was refused, e.g. it holds a line break; the key
    #: itself is then ``None``, so it is never sent.
    key_problem: str | None = None

    def require_key(self) -> str:
        """The key, or ``MissingKeyError`` with instructions (``ConfigError`` if malformed)."""
        if self.key_problem:
            raise ConfigError(self.key_problem)
        if not self.key:
            raise MissingKeyError()
        return self.key

    def redact(self, text: str) -> str:
        """``text`` with the key, and its secret half, masked (should either ever appear)."""
        if not self.key:
            return text
        secret = self.key.split(":", 1)[-1]
        for part in (self.key, secret):
            if len(part) >= 6:
                text = text.replace(part, mask_key(part))
        return text

    @property
    def keyed_origins(self) -> frozenset[str]:
        """Origins (scheme://host:port) that may receive the API key."""
        return frozenset(origin(self.urls[name]) for name in KEYED_SERVICES)

    def may_send_key(self, url: str) -> bool:
        """True only for fal's own API hosts (or the configured base URLs)."""
        return origin(url) in self.keyed_origins

    def with_urls(self, **urls: str) -> Settings:
        """A copy with some base URLs replaced."""
        merged = dict(self.urls)
        merged.update(urls)
        return replace(self, urls=merged)


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme, 0)
    return f"{scheme}://{host}:{port}"


def mask_key(key: str | None) -> str:
    """A key made safe to show: the first four and last two characters at most."""
    if not key:
        return "(none)"
    if len(key) <= 8:
        return "…" * 3
    return f"{key[:4]}…{key[-2:]}"


def header_value_problem(value: str) -> str | None:
    """Why ``value`` cannot travel in an HTTP header, or None. Never quotes the value."""
    for index, char in enumerate(value):
        code = ord(char)
        if char in "\r\n":
            return f"it contains a line break (at character {index + 1})"
        if (code < 0x20 and char != "\t") or code == 0x7F:
            return f"it contains a control character U+{code:04X} (at character {index + 1})"
        if code > 0x7E:
            return f"it contains a non-ASCII character U+{code:04X} (at character {index + 1})"
    return None


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a fal key, or None: keys are printable ASCII without spaces.

    The message says what and where, never the key itself.
    """
    problem = header_value_problem(key)
    if problem is not None:
        return problem
    for index, char in enumerate(key):
        if char in " \t":
            return f"it contains a space (at character {index + 1})"
    return None


def read_dotenv_key(start: Path) -> tuple[str, str] | None:
    """``FAL_KEY`` from the first ``.env``/``.test_env`` in ``start`` or its two parents.

    The seed's scripts read ``.test_env`` files this way; ``.env`` is the common convention.
    """
    folders = [start, *list(start.parents)[:2]]
    for folder in folders:
        for name in (".env", ".test_env"):
            candidate = folder / name
            try:
                text = candidate.read_text(encoding="utf-8")
            except OSError:
                continue
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("export "):
                    line = line[len("export ") :].strip()
                if line.startswith("FAL_KEY=") or line.startswith("FAL_KEY ="):
                    value = line.split("=", 1)[1].strip().strip("'\"")
                    if value:
                        return value, str(candidate)
    return None


def load_config_file(path: Path) -> dict[str, Any]:
    """Parse the TOML config; a missing file is empty, a broken one is a ``ConfigError``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def _host_url(host: str) -> str:
    host = host.strip().rstrip("/")
    return host if "://" in host else f"https://{host}"


def resolve_key(
    env: Mapping[str, str], file_cfg: Mapping[str, Any], cwd: Path
) -> tuple[str | None, str]:
    """Find the key: ``FAL_KEY`` → ``FAL_KEY_ID``+``FAL_KEY_SECRET`` → config → ``.env``."""
    if env.get("FAL_KEY"):
        return env["FAL_KEY"].strip(), "FAL_KEY"
    if env.get("FAL_KEY_ID") and env.get("FAL_KEY_SECRET"):
        return f"{env['FAL_KEY_ID'].strip()}:{env['FAL_KEY_SECRET'].strip()}", "FAL_KEY_ID/SECRET"
    key = file_cfg.get("key")
    if isinstance(key, str) and key.strip():
        return key.strip(), "config file"
    found = read_dotenv_key(cwd)
    if found:
        return found[0], found[1]
    return None, ""


def load_settings(
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Build ``Settings`` from the environment and the config file."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    paths = Paths.discover(env)
    cfg = load_config_file(config_path or paths.config_file)

    urls = dict(DEFAULT_URLS)
    cfg_urls = cfg.get("urls", {})
    if not isinstance(cfg_urls, dict):
        raise ConfigError("config: [urls] must be a table of base URLs")
    for name in DEFAULT_URLS:
        if isinstance(cfg_urls.get(name), str):
            urls[name] = cfg_urls[name].rstrip("/")
    # fal's own host variables (host names, always https).
    if env.get("FAL_RUN_HOST"):
        urls["run"] = _host_url(env["FAL_RUN_HOST"])
        urls["queue"] = _host_url("queue." + env["FAL_RUN_HOST"].strip())
    if env.get("FAL_QUEUE_RUN_HOST"):
        urls["queue"] = _host_url(env["FAL_QUEUE_RUN_HOST"])
    for name, var in URL_ENV.items():
        if env.get(var):
            urls[name] = env[var].rstrip("/")

    download_dir = cfg.get("download_dir")
    if isinstance(download_dir, str) and download_dir:
        paths = replace(paths, download_dir=Path(download_dir).expanduser())
    if env.get("FALTUI_DOWNLOAD_DIR"):
        paths = replace(paths, download_dir=Path(env["FALTUI_DOWNLOAD_DIR"]).expanduser())

    key, source = resolve_key(env, cfg, cwd)
    problem = key_problem(key) if key else None
    if problem:
        key = None  # never sent, never shown
        problem = (
            f"the fal key from {source} is not valid: {problem}; keys are printable ASCII "
            "without spaces. Nothing was sent."
        )
    keymap = cfg.get("keymap", {})
    if not isinstance(keymap, dict):
        raise ConfigError('config: [keymap] must be a table of binding-id = "keys"')

    def number(name: str, default: float) -> float:
        value = cfg.get(name, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"config: {name} must be a positive number, got {value!r}")
        return float(value)

    return Settings(
        key=key,
        key_source=source,
        urls=urls,
        paths=paths,
        connect_timeout=number("connect_timeout", 10.0),
        read_timeout=number("read_timeout", 60.0),
        poll_interval=number("poll_interval", 1.0),
        max_active_jobs=int(number("max_active_jobs", 1024)),
        catalog_ttl=number("catalog_ttl", 24 * 3600.0),
        theme=cfg.get("theme") if isinstance(cfg.get("theme"), str) else None,
        keymap={str(k): str(v) for k, v in keymap.items()},
        raw=cfg,
        key_problem=problem,
    )
