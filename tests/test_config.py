"""Config: documented example is valid; every bad value is named with file and path."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config
from tests.helpers import ROOT, run_cli


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid():
    cfg = load_config(ROOT / "config.example.yaml")
    assert cfg.guilds[0].timezone == "Europe/London"
    assert cfg.discord.message_content is False
    assert cfg.guild(123456789012345678).retention_days == 365
    assert cfg.guild(1).timezone == "UTC"  # unknown server falls back to defaults


def test_no_file_means_embedded_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_CONFIG", raising=False)
    cfg = load_config()
    assert isinstance(cfg, Config)
    assert cfg.database_path.name == "bot.sqlite3"


@pytest.mark.parametrize("text, message", [
    ("guilds:\n  - id: 123456789012345678\n    timezone: Mars/Base\n", "config.yaml: guilds[0].timezone: 'Mars/Base' is not a known time zone"),
    ("synchronous: SOMETIMES\n", "config.yaml: synchronous: 'SOMETIMES' is not one of NORMAL, FULL"),
    ("discord:\n  message_content: yes please\n", "config.yaml: discord.message_content: 'yes please' is not true or false"),
    ("guilds:\n  - id: 12\n", "config.yaml: guilds[0].id: 12 is not a Discord id (a number of 17 to 20 digits)"),
    ("defaults:\n  retention_days: -4\n", "config.yaml: defaults.retention_days: -4 is not a whole number of days (0 or more)"),
    ("colour: blue\n", "config.yaml: colour: is not a known setting"),
    ("token: abc.def\n", "config.yaml: token: secrets do not belong in the config file: set it in the environment instead"),
    ("guilds: [\n", "config.yaml: line 2: not valid YAML"),
])
def test_bad_values_are_named(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems


def test_secret_in_config_is_not_echoed(tmp_path):
    path = write(tmp_path, "token: MTIzNDU2Nzg5.super-secret-token\n")
    result = run_cli("config", "check", "--config", str(path))
    assert result.returncode == 1
    assert "super-secret-token" not in result.stdout + result.stderr


def test_config_check_cli(tmp_path):
    ok = run_cli("config", "check", "--config", str(ROOT / "config.example.yaml"))
    assert ok.returncode == 0 and "config OK" in ok.stdout
    bad = run_cli("config", "check", "--config", str(write(tmp_path, "guilds:\n  - id: 123456789012345678\n    timezone: Mars/Base\n")))
    assert bad.returncode == 1
    assert "config.yaml: guilds[0].timezone: 'Mars/Base' is not a known time zone" in bad.stderr
