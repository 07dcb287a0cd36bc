"""The config file: TOML, ``${NAME}`` from the environment, validated all at once.

Every section is a strict model (unknown keys are errors). Each stage owns the model of its
own section; this module composes them, reads the file and reports every problem with its
location in one ``ConfigError``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, ValidationInfo, model_validator

from monitor import configchecks as checks
from monitor.channels.config import ChannelConfig
from monitor.cluster.config import ClusterConfig
from monitor.configenv import interpolate, unset_instead
from monitor.configtypes import (
    WRITTEN,
    Duration,
    HostPort,
    HttpUrl,
    StrictModel,
    written_duration,
)
from monitor.dedup.config import DedupConfig
from monitor.errors import ConfigError
from monitor.events.config import EventConfig
from monitor.match.config import EntityConfig, RuleConfig
from monitor.store.location import is_postgres, shown_url, sqlite_path
from monitor.websub.config import WebSubConfig

DEFAULT_PATH = "config.toml"
ENV_VAR = "MONITOR_CONFIG"


# Older than this at first sight, an item is old news (unless retention is shorter).
_MAX_AGE = 3 * 86400.0


class MonitorSection(StrictModel):
    """``[monitor]``: the daemon as a whole."""

    database: str = Field(
        default="monitor.db",
        description='a SQLite file (or "sqlite:PATH"), or "postgresql://user@host:port/db"',
    )
    interval: Duration = Field(default=600.0, gt=0)
    jitter: float = Field(default=0.1, ge=0, le=0.5, description="fraction of the interval")
    min_interval: Duration = Field(default=60.0, gt=0)
    max_backoff: Duration = Field(default=6 * 3600.0, gt=0)
    grace_period: Duration = Field(default=10.0, ge=0)
    user_agent: str = "monitor/0.1 (+https://github.com/monitor-news/monitor)"
    metrics: HostPort | None = Field(
        default=None, description='"HOST:PORT" for /metrics and /healthz'
    )
    log_format: str = Field(default="plain", pattern="^(plain|json)$")
    retention: Duration = Field(default=30 * 86400.0, gt=0)
    health_channels: list[str] = Field(default_factory=list)
    health_after: Duration = Field(default=6 * 3600.0, gt=0)
    health_silence: bool = Field(
        default=True, description="false: no alert when a working feed publishes nothing"
    )
    max_new_items: int = Field(default=1000, ge=1, description="per poll, newest first")
    max_age: Duration = Field(
        default=_MAX_AGE, gt=0, description="older at first sight: stored as seen, not news"
    )
    schedule: str = Field(default="fixed", pattern="^(fixed|adaptive)$")
    max_interval: Duration | None = Field(
        default=None, gt=0, description="adaptive schedule; unset: twice the interval"
    )

    @model_validator(mode="before")
    @classmethod
    def _max_age_within_a_short_retention(cls, data: Any, info: ValidationInfo) -> Any:
        # A retention shorter than the default max_age needs no second edit: max_age follows
        # it (a config that ran before max_age existed still runs). A max_age written longer
        # than the retention is an error (configchecks).
        if isinstance(data, dict) and "max_age" not in data and "retention" in data:
            try:
                retention = written_duration(data["retention"], info)
            except ValueError:
                return data  # the retention's own error says it
            if retention < _MAX_AGE:
                return {**data, "max_age": data["retention"]}
        return data

    @property
    def longest_interval(self) -> float:
        """The adaptive schedule's ceiling. Unset, twice the interval: a quiet feed is then
        seen at most twice as late as fixed polling would see it (bench/adaptive.py)."""
        return self.max_interval or 2 * self.interval


class FetchSection(StrictModel):
    """``[fetch]``: limits that keep one bad server from hurting the others."""

    timeout: Duration = Field(default=30.0, gt=0)
    connect_timeout: Duration = Field(default=10.0, gt=0)
    read_timeout: Duration = Field(default=15.0, gt=0)
    max_body: int = Field(
        default=10 * 1024 * 1024, gt=0, description="bytes, compressed and decompressed"
    )
    max_redirects: int = Field(default=5, ge=0, le=20)
    concurrency: int = Field(default=50, ge=1)
    per_host: int = Field(default=4, ge=1)
    bodies_in_flight: int = Field(
        default=8, ge=1, description="polls parsing or storing a fetched body at once"
    )


class FeedConfig(StrictModel):
    """``[[feeds]]``: one feed."""

    url: HttpUrl
    name: str | None = None
    interval: Duration | None = Field(default=None, gt=0)
    tags: list[str] = Field(default_factory=list)
    websub: bool = Field(default=True, description="false: never subscribe to its hub")


class Config(StrictModel):
    """The whole config file."""

    monitor: MonitorSection = MonitorSection()
    fetch: FetchSection = FetchSection()
    feeds: list[FeedConfig] = Field(default_factory=list)
    dedup: DedupConfig = DedupConfig()
    events: EventConfig = EventConfig()
    entities: list[EntityConfig] = Field(default_factory=list)
    rules: list[RuleConfig] = Field(default_factory=list)
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    websub: WebSubConfig | None = None
    cluster: ClusterConfig = ClusterConfig()  # several nodes over one PostgreSQL

    # Where the file was read from; relative paths in it are relative to its folder.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @property
    def database_path(self) -> Path:
        """The SQLite file (``database`` as a path or ``sqlite:PATH``), relative to the
        config's folder. Meaningless for a PostgreSQL URL: see ``database_location``."""
        path = sqlite_path(self.monitor.database)
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_location(self) -> Path | str:
        """What ``Store.open`` takes: the SQLite file, or the PostgreSQL URL as written."""
        if is_postgres(self.monitor.database):
            return self.monitor.database
        return self.database_path

    @property
    def database_shown(self) -> str:
        """The database as logs and messages name it (never with a password)."""
        if is_postgres(self.monitor.database):
            return shown_url(self.monitor.database)
        return str(self.database_path)


def derive(
    config: Config,
    *,
    database: Path | str,
    feeds: Sequence[FeedConfig] | None = None,
    channels: Mapping[str, ChannelConfig] | None = None,
) -> Config:
    """``config`` for a run of its own (a dry run, a replay): another database and, when
    given, other feeds and channels. The sections are frozen models, shared as they are, so
    secrets stay real (a dump would mask them)."""
    update: dict[str, Any] = {
        "monitor": config.monitor.model_copy(update={"database": str(database)})
    }
    if feeds is not None:
        update["feeds"] = list(feeds)
    if channels is not None:
        update["channels"] = dict(channels)
    return config.model_copy(update=update)


def resolve_path(explicit: str | None) -> Path:
    """``-c PATH``, else ``./config.toml``, else ``$MONITOR_CONFIG``."""
    if explicit:
        return Path(explicit)
    if Path(DEFAULT_PATH).exists() or not os.environ.get(ENV_VAR):
        return Path(DEFAULT_PATH)
    return Path(os.environ[ENV_VAR])


def load(path: Path, environ: Mapping[str, str] | None = None, *, secrets: bool = True) -> Config:
    """Read, interpolate and validate a config file; raise ``ConfigError`` listing every problem.

    ``secrets=False`` is for commands that send nothing (``status``, ``stories``): a channel's
    ``${NAME}`` left unset is then no problem (the secrets may live only in the daemon's
    environment) and stands for a placeholder that is never sent anywhere."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (pass -c PATH or set {ENV_VAR})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        # utf-8-sig: an editor that saves "UTF-8 with BOM" (Notepad) is still UTF-8 to TOML.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, start) + 1
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        raise ConfigError(
            f"{path}: line {line}, column {column}: byte 0x{data[exc.start]:02x} is not UTF-8"
            " (save the file as UTF-8)"
        ) from None
    return loads(
        text, base_dir=path.resolve().parent, source=str(path), environ=environ, secrets=secrets
    )


def loads(
    text: str,
    *,
    base_dir: Path = Path("."),
    source: str = "<config>",
    environ: Mapping[str, str] | None = None,
    secrets: bool = True,
) -> Config:
    """Validate config text; see ``load``."""
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    problems: list[str] = []
    env = os.environ if environ is None else environ
    placeholders: dict[str, str] = {}  # key -> its unset variable, where a placeholder stands
    raw = interpolate(raw, env, (), problems, secrets, placeholders)
    # A key whose environment variable is not set has its problem said already (and the
    # empty string it stood for would be found empty, or not a URL, a second time).
    unset = tuple(p.partition(": environment variable")[0] + ": " for p in problems)
    problems.extend(checks.cross_references(raw))
    config: Config | None = None
    try:
        config = Config.model_validate({**raw, "base_dir": base_dir}, context=WRITTEN)
    except ValidationError as exc:
        # A placeholder where a number or a duration must be: the variable is what is wrong.
        found = (unset_instead(checks.describe(err), placeholders) for err in exc.errors())
        problems[:0] = [p for p in found if not unset or not p.startswith(unset)]
    # Rule queries are checked whatever else is wrong: the user sees every problem at once.
    problems.extend(checks.rule_checks(raw))
    if config is not None and not problems:
        problems.extend(_semantic_checks(config))
    if problems:
        problems = [checks.name_location(p, raw) for p in dict.fromkeys(problems)]
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ConfigError(f"{source}: {count}", problems)
    assert config is not None
    return config


def _semantic_checks(config: Config) -> list[str]:
    """Checks that need the whole validated config."""
    problems = []
    if config.monitor.retention < config.dedup.window:
        problems.append(
            "monitor.retention: must be at least dedup.window, or stories lose their items"
            " while they can still be joined"
        )
    database = config.monitor.database
    if "://" in database and not is_postgres(database) and not database.startswith("sqlite:"):
        scheme = database.partition("://")[0]
        problems.append(
            f"monitor.database: {scheme}:// is not a database this monitor can use: a SQLite"
            ' path (or "sqlite:PATH"), or "postgresql://user@host:port/dbname"'
        )
    return problems
