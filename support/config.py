"""Where the suite finds the engine: its own embedded stack, or an engine someone else runs.

Every setting comes from a behave userdata value (`behave -D engine_url=...`) or, failing
that, from an environment variable; the userdata wins. Giving the four external settings
switches to external mode, where the suite starts nothing.

    userdata        environment variable     default
    engine_url      GRIZZ_ENGINE_URL         (none: embedded mode)
    redis_url       GRIZZ_REDIS_URL          (none)
    database_url    GRIZZ_DATABASE_URL       (none)
    jwt_secret      GRIZZ_JWT_SECRET         (none)
    model_url       GRIZZ_MODEL_URL          the embedded fake model; none in external mode
    engine_dir      GRIZZ_ENGINE_DIR         engine/ of this repository
    engine_port     GRIZZ_ENGINE_PORT        a free loopback port
    reports_dir     GRIZZ_REPORTS_DIR        reports/
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parent.parent
EXTERNAL_KEYS = ("engine_url", "redis_url", "database_url", "jwt_secret")


class ConfigError(Exception):
    """A setting is wrong; the message says which and what to do."""


@dataclass(frozen=True)
class SuiteConfig:
    external: bool
    engine_url: str | None = None  # ws://host:port, the engine's base URL
    redis_url: str | None = None
    database_url: str | None = None
    jwt_secret: str | None = None
    model_url: str | None = None  # http://host:port of the scriptable model, if any
    engine_dir: Path = REPO_ROOT / "engine"
    engine_port: int | None = None
    reports_dir: Path = REPO_ROOT / "reports"

    @property
    def mode(self) -> str:
        return "external" if self.external else "embedded"


def _setting(userdata, key: str) -> str | None:
    value = userdata.get(key) or os.environ.get(f"GRIZZ_{key.upper()}")
    return value.strip() if value and value.strip() else None


def websocket_base(url: str) -> str:
    """Accept http(s):// or ws(s):// for the engine and return the ws(s):// form."""
    parsed = urlparse(url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parsed.scheme)
    if scheme is None or not parsed.hostname:
        raise ConfigError(
            f"engine URL {url!r} is not a ws:// or http:// URL: "
            "set GRIZZ_ENGINE_URL like ws://localhost:8000")
    return f"{scheme}://{parsed.netloc}"


def _check_url(name: str, url: str, schemes: tuple[str, ...], example: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in schemes or not parsed.hostname:
        raise ConfigError(f"{name} {url!r} is not a {schemes[0]}:// URL: set it like {example}")
    return url


def _port(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"{name}={value!r} is not a port number: give 1-65535 or unset it")
    return int(value)


def load_config(userdata=None) -> SuiteConfig:
    """Read the settings; raise ConfigError with one sentence if they do not fit together."""
    userdata = userdata or {}
    given = {key: _setting(userdata, key) for key in EXTERNAL_KEYS}
    engine_dir = Path(_setting(userdata, "engine_dir") or REPO_ROOT / "engine")
    reports_dir = Path(_setting(userdata, "reports_dir") or REPO_ROOT / "reports")
    model_url = _setting(userdata, "model_url")
    if model_url:
        _check_url("GRIZZ_MODEL_URL", model_url, ("http",), "http://localhost:8900")

    if not any(given.values()):
        if not (engine_dir / "launcher.py").is_file():
            raise ConfigError(
                f"no launcher.py in engine directory {engine_dir}: "
                "point GRIZZ_ENGINE_DIR at an engine checkout or unset it")
        return SuiteConfig(
            external=False, engine_dir=engine_dir, reports_dir=reports_dir,
            engine_port=_port(_setting(userdata, "engine_port"), "GRIZZ_ENGINE_PORT"))

    missing = [f"GRIZZ_{key.upper()}" for key, value in given.items() if not value]
    if missing:
        raise ConfigError(
            "external mode needs all four of GRIZZ_ENGINE_URL, GRIZZ_REDIS_URL, "
            f"GRIZZ_DATABASE_URL and GRIZZ_JWT_SECRET; missing: {', '.join(missing)}")
    return SuiteConfig(
        external=True,
        engine_url=websocket_base(given["engine_url"]),
        redis_url=_check_url("GRIZZ_REDIS_URL", given["redis_url"], ("redis", "rediss"),
                             "redis://localhost:6379/0"),
        database_url=_check_url("GRIZZ_DATABASE_URL", given["database_url"],
                                ("postgresql", "postgres"),
                                "postgresql://postgres:postgres@localhost:54322/postgres"),
        jwt_secret=given["jwt_secret"],
        model_url=model_url,
        reports_dir=reports_dir,
    )
