"""Configuration: config.yaml validated into dataclasses, with embedded defaults.

Errors name the file and the setting (`config.yaml: guilds[0].timezone: 'Mars/Base' is not a
known time zone`). Secrets never come from this file and are never printed: the token and
secret key are read from the environment (or the key file) by the code that needs them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.schedule import is_known_zone
from bot.paths import data_dir as default_data_dir

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SYNCHRONOUS = ("NORMAL", "FULL")
AFTER_SAVE = ("delete", "archive")
PLACES = ("thread", "dm")


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class GuildSettings:
    id: int | None = None
    reflection_channel: int | None = None
    supervisor_role: int | None = None
    supervisors_channel: int | None = None
    timezone: str = "UTC"
    crisis_resources: tuple[str, ...] = ()
    retention_days: int = 0


@dataclass(frozen=True)
class DiscordSettings:
    message_content: bool = False
    after_save: str = "delete"
    default_place: str = "thread"


@dataclass(frozen=True)
class Config:
    data_dir: Path = field(default_factory=default_data_dir)
    database: Path | None = None
    synchronous: str = "NORMAL"
    secret_key_file: Path | None = None
    log_level: str = "INFO"
    discord: DiscordSettings = DiscordSettings()
    defaults: GuildSettings = GuildSettings()
    guilds: tuple[GuildSettings, ...] = ()
    source: str = "defaults"

    @property
    def database_path(self) -> Path:
        return self.database or (self.data_dir / "bot.sqlite3")

    @property
    def key_file(self) -> Path:
        return self.secret_key_file or (self.data_dir / "secret.key")

    def guild(self, guild_id: int | None) -> GuildSettings:
        """The settings of one server: its own entry, falling back to the defaults."""
        for g in self.guilds:
            if g.id == guild_id:
                return g
        return self.defaults

    def __repr__(self) -> str:  # no secrets live here, but keep the repr short and safe
        return f"Config(source={self.source!r}, data_dir={str(self.data_dir)!r}, guilds={len(self.guilds)})"


class _Check:
    def __init__(self, name: str):
        self.name = name
        self.problems: list[str] = []

    def fail(self, where: str, problem: str) -> None:
        self.problems.append(f"{self.name}: {where}: {problem}")

    def mapping(self, where: str, value: Any) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(where, "must be a mapping of settings")
            return {}
        return value

    def known(self, where: str, data: dict, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"{where}.{key}" if where else str(key), "is not a known setting")

    def choice(self, where: str, value: Any, choices: tuple[str, ...], default: str) -> str:
        if value is None:
            return default
        text = str(value)
        match = next((c for c in choices if c.lower() == text.lower()), None)
        if match is None:
            self.fail(where, f"{value!r} is not one of {', '.join(choices)}")
            return default
        return match

    def flag(self, where: str, value: Any, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(where, f"{value!r} is not true or false")
            return default
        return value

    def snowflake(self, where: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() or not (15 <= len(str(value)) <= 21):
            self.fail(where, f"{value!r} is not a Discord id (a number of 17 to 20 digits)")
            return None
        return int(value)

    def timezone(self, where: str, value: Any, default: str) -> str:
        if value is None:
            return default
        if not isinstance(value, str) or not is_known_zone(value):
            self.fail(where, f"{value!r} is not a known time zone")
            return default
        return value

    def days(self, where: str, value: Any, default: int) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(where, f"{value!r} is not a whole number of days (0 or more)")
            return default
        return value

    def texts(self, where: str, value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(where, "must be a list of lines of text")
            return default
        return tuple(v.strip() for v in value)

    def path(self, where: str, value: Any) -> Path | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or "\x00" in value:
            self.fail(where, f"{value!r} is not a file path")
            return None
        return Path(value)


GUILD_KEYS = {"id", "reflection_channel", "supervisor_role", "supervisors_channel", "timezone", "crisis_resources", "retention_days"}


def _guild(c: _Check, where: str, data: dict, base: GuildSettings, need_id: bool) -> GuildSettings:
    c.known(where, data, GUILD_KEYS if need_id else GUILD_KEYS - {"id"})
    gid = c.snowflake(f"{where}.id", data.get("id")) if need_id else None
    if need_id and data.get("id") is None:
        c.fail(f"{where}.id", "is missing (the server's numeric id)")
    return GuildSettings(
        id=gid,
        reflection_channel=c.snowflake(f"{where}.reflection_channel", data.get("reflection_channel")),
        supervisor_role=c.snowflake(f"{where}.supervisor_role", data.get("supervisor_role")),
        supervisors_channel=c.snowflake(f"{where}.supervisors_channel", data.get("supervisors_channel")),
        timezone=c.timezone(f"{where}.timezone", data.get("timezone"), base.timezone),
        crisis_resources=c.texts(f"{where}.crisis_resources", data.get("crisis_resources"), base.crisis_resources),
        retention_days=c.days(f"{where}.retention_days", data.get("retention_days"), base.retention_days),
    )


def parse_config(data: Any, name: str = "config.yaml") -> Config:
    """Validate a parsed YAML document; raise ConfigError listing every problem."""
    c = _Check(name)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{name}: the file must be a mapping of settings"])
    c.known("", data, {"data_dir", "database", "synchronous", "secret_key_file", "log_level", "discord", "defaults", "guilds"})
    for secret in ("token", "discord_token", "secret_key", "bot_secret_key"):
        if secret in data:
            c.fail(secret, "secrets do not belong in the config file: set it in the environment instead")
    d = c.mapping("discord", data.get("discord"))
    c.known("discord", d, {"message_content", "after_save", "default_place"})
    discord = DiscordSettings(
        message_content=c.flag("discord.message_content", d.get("message_content"), False),
        after_save=c.choice("discord.after_save", d.get("after_save"), AFTER_SAVE, "delete"),
        default_place=c.choice("discord.default_place", d.get("default_place"), PLACES, "thread"),
    )
    defaults = _guild(c, "defaults", c.mapping("defaults", data.get("defaults")), GuildSettings(), need_id=False)
    guilds = []
    raw_guilds = data.get("guilds") or []
    if not isinstance(raw_guilds, list):
        c.fail("guilds", "must be a list of servers")
        raw_guilds = []
    for i, g in enumerate(raw_guilds):
        guilds.append(_guild(c, f"guilds[{i}]", c.mapping(f"guilds[{i}]", g), defaults, need_id=True))
    ids = [g.id for g in guilds if g.id is not None]
    for gid in set(ids):
        if ids.count(gid) > 1:
            c.fail("guilds", "the same server id appears more than once")
    ddir = c.path("data_dir", data.get("data_dir"))
    cfg = Config(
        data_dir=ddir or default_data_dir(),
        database=c.path("database", data.get("database")),
        synchronous=c.choice("synchronous", data.get("synchronous"), SYNCHRONOUS, "NORMAL"),
        secret_key_file=c.path("secret_key_file", data.get("secret_key_file")),
        log_level=c.choice("log_level", data.get("log_level"), LOG_LEVELS, "INFO"),
        discord=discord, defaults=defaults, guilds=tuple(guilds), source=name,
    )
    if c.problems:
        raise ConfigError(c.problems)
    return cfg


def load_config(path: Path | None = None) -> Config:
    """Read config from a path, $BOT_CONFIG, or ./config.yaml if present; else the defaults."""
    if path is None:
        env = os.environ.get("BOT_CONFIG")
        path = Path(env) if env else Path("config.yaml")
        if not path.exists() and not env:
            return Config()
    name = path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{name}: file not found ({path})"]) from None
    except OSError as exc:
        raise ConfigError([f"{name}: cannot be read ({exc.strerror})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError([f"{name}: is not UTF-8 text"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "document"
        raise ConfigError([f"{name}: {where}: not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})"]) from None
    return parse_config(data, name)
