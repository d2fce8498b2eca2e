"""Starting the bot without a token explains what to do instead of failing obscurely."""
from __future__ import annotations

import logging

from bot.logs import PrivacyFilter, redact
from tests.helpers import run_cli


def test_run_without_token_explains_and_exits_2(tmp_path):
    result = run_cli("run", env={"DISCORD_TOKEN": "", "BOT_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert "Create Private Threads" in result.stderr and "applications.commands" in result.stderr
    assert "python -m bot sync" in result.stderr


def test_help_lists_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("content", "config", "run", "sync"):
        assert command in result.stdout


def test_log_filter_removes_ids_and_tokens():
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"
    assert redact(f"user 112233445566778899 used {token}") == "user [id] used [token]"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "member %s in %s", ("112233445566778899", 998877665544332211), None)
    PrivacyFilter().filter(record)
    assert record.getMessage() == "member [id] in [id]"
