"""A scripted `python -m bot chat` run as a real subprocess over the real SQLite store."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ANSWERS = [
    "She moves between chaotic outbursts at home and a rigid, flat calm in session.",
    "I try to stay attuned; we repaired a rupture after I cancelled last week.",
    "I told her that her amygdala was hijacked, which I cannot verify.",
    "Her culture values interdependence; my assumptions about autonomy may be Western.",
    "Her PTSD calls for the trauma-focused CBT protocol; IPNB is how I think about the relationship.",
    "I noticed my own reactions and felt defensive when she criticised me.",
]


def chat(tmp_path: Path, lines: list[str], *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(PYTHONPATH=str(ROOT), BOT_DATA_DIR=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "bot", "chat", "--db", str(tmp_path / "bot.sqlite3"), *extra],
                          input="".join(line + "\n" for line in lines), capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), timeout=120)


def test_scripted_chat_walks_six_questions_and_saves(tmp_path):
    proc = chat(tmp_path, ANSWERS + ["/save"], "--case", "A.B.", "--yes")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for n in range(1, 7):
        assert f"Question {n} of 6" in out
    # chaos/rigidity and cultural-humility passages, with their citations
    assert "the system tends toward chaos and rigidity. [6]" in out
    assert "[6] Interpersonal Neurobiology — Pathways of Mind (explainer)" in out
    assert "carries implicit cultural assumptions. [uncited]" in out
    assert "Summary of your reflection" in out and "Questions answered: 6 of 6" in out
    assert "Anonymised preview" in out and "Saved to your journal" in out
    assert "Traceback" not in proc.stderr


def test_eof_pauses_and_next_run_resumes(tmp_path):
    first = chat(tmp_path, ANSWERS[:2], "--case", "A.B.", "--yes")
    assert first.returncode == 0, first.stderr
    assert "Paused at question 3 of 6" in first.stdout
    second = chat(tmp_path, ANSWERS[2:] + ["/discard"])
    assert second.returncode == 0, second.stderr
    assert "Welcome back" in second.stdout and "Question 3 of 6" in second.stdout
    assert "Question 1 of 6" not in second.stdout
    assert "Questions answered: 6 of 6" in second.stdout and "Discarded" in second.stdout


def test_risk_in_script_prints_message_and_goes_on(tmp_path):
    lines = ["She said she wants to kill herself.", "/finish", "/discard"]
    proc = chat(tmp_path, lines, "--case", "C.D.", "--yes")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "risk protocol" in out and "contact your supervisor" in out
    assert "From the source" not in out.split("Question 2 of 6")[0]
    assert "Question 2 of 6" in out


def test_commands_and_unknown_command(tmp_path):
    proc = chat(tmp_path, ["/help", "/skip", "/bogus", "/finish", "/save"], "--case", "E.F.", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "What you can do now" in proc.stdout and "I don't know the command /bogus" in proc.stdout
    assert "Skipped: 1." in proc.stdout and "Saved to your journal" in proc.stdout


def test_chat_help_text():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bot", "chat", "--help"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "--case" in proc.stdout and "/skip" in proc.stdout


def test_pause_ends_the_run_and_the_next_run_resumes(tmp_path):
    first = chat(tmp_path, ["Rigid routines, then chaos at weekends.", "/pause", "This line is never read."],
                 "--case", "C.D.", "--yes")
    assert first.returncode == 0
    assert "Paused at question 2 of 6" in first.stdout
    assert "Question 3 of 6" not in first.stdout
    second = chat(tmp_path, ["/finish", "/discard"])
    assert "Welcome back" in second.stdout and "Question 2 of 6" in second.stdout
    assert "Rigid routines" in second.stdout  # the earlier answer is in the preview, kept across runs


def test_chat_applies_the_configured_retention(tmp_path):
    """With defaults.retention_days set in config.yaml, entries older than that are gone when chat starts."""
    import sqlite3

    saved = chat(tmp_path, ["Rigid and stuck.", "/finish", "/save"], "--case", "E.F.", "--yes")
    assert "Saved to your journal" in saved.stdout
    db = tmp_path / "bot.sqlite3"
    with sqlite3.connect(db) as conn:  # age the entry by 30 days
        conn.execute("UPDATE entries SET created_at = '2000-01-01T00:00:00.000000Z'")
    (tmp_path / "config.yaml").write_text("defaults:\n  retention_days: 10\n", encoding="utf-8")
    chat(tmp_path, ["/pause"], "--case", "G.H.", "--yes")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 0


def test_chat_and_journal_use_the_database_named_in_config(tmp_path):
    """Without --db, the terminal uses config.yaml's database and key file, as the Discord bot does."""
    import subprocess as sp

    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env["PYTHONPATH"] = str(ROOT)
    (tmp_path / "config.yaml").write_text("data_dir: elsewhere\ndatabase: elsewhere/journal.db\n", encoding="utf-8")

    def run(*args, lines=()):
        return sp.run([sys.executable, "-m", "bot", *args], input="".join(x + "\n" for x in lines), text=True,
                      capture_output=True, env=env, cwd=str(tmp_path), timeout=120)

    saved = run("chat", "--case", "I.J.", "--yes", lines=["Chaos at home, rigid at school.", "/finish", "/save"])
    assert "Saved to your journal" in saved.stdout, saved.stderr
    assert (tmp_path / "elsewhere" / "journal.db").exists() and (tmp_path / "elsewhere" / "secret.key").exists()
    assert not (tmp_path / "data").exists()
    listed = run("journal", "list")
    assert listed.returncode == 0 and "I.J." in listed.stdout
    (tmp_path / "config.yaml").write_text("synchronous: SOMETIMES\n", encoding="utf-8")
    broken = run("journal", "list")
    assert broken.returncode == 2 and "config.yaml: synchronous: 'SOMETIMES' is not one of NORMAL, FULL" in broken.stderr


def test_at_the_preview_a_bare_save_saves_and_a_sentence_is_told_the_typed_commands(tmp_path):
    """The preview asks "save or discard": typing the word (no slash) does it; typing more text is
    answered with the commands as they are typed in the terminal."""
    lines = ANSWERS + ["Actually one more thought about her mother.", "save"]
    proc = chat(tmp_path, lines, "--case", "A.B.", "--yes")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "There is no question waiting for an answer just now. You can type:" in out
    assert "/save" in out.split("There is no question waiting")[1] and "/discard" in out
    assert "Saved to your journal" in out


def test_while_asking_a_one_word_answer_is_an_answer_not_a_command(tmp_path):
    proc = chat(tmp_path, ["skip", "/pause"], "--case", "A.B.", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "Question 2 of 6" in proc.stdout and "Paused at question 2 of 6" in proc.stdout
