"""A writer process SIGKILLed mid-write leaves a consistent database."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bot.store import open_store

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from bot.core.ports import NewEntry, StoredSession
    from bot.store import open_store

    async def main(folder):
        async with open_store(data_dir=Path(folder), env={}, synchronous=sys.argv[2]) as s:
            owners = [s.keyring.pseudonym("user", 112233445566778800 + k) for k in range(5)]
            i = int(sys.argv[3])
            while True:
                async def one(i):
                    o = owners[i % 5]
                    await s.put_session(StoredSession(id=f"s{i}", owner=o, status="active",
                                                      state={"answers": {"q1": "answer %d " % i * 20}}))
                    await s.save_entry(o, f"s{i}", NewEntry(text="entry %d " % i * 50, case=f"C{i % 3}"))
                    print(f"ack {i}", flush=True)
                await asyncio.gather(*[one(i + k) for k in range(8)])
                i += 8

    asyncio.run(main(sys.argv[1]))
""")


def _run_and_kill(folder: Path, synchronous: str, acks_wanted: int, start: int = 0) -> set[int]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), synchronous, str(start)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    acked: set[int] = set()
    deadline = time.monotonic() + 60
    try:
        while len(acked) < acks_wanted and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError("writer died: " + proc.stderr.read()[-2000:])
            acked.add(int(line.split()[1]))
    finally:
        proc.send_signal(signal.SIGKILL)  # mid-write: it never stops writing
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= acks_wanted
    return acked


async def _check(folder: Path, acked: set[int]) -> None:
    async with open_store(data_dir=folder, env={}) as s:
        assert await s.integrity_check() == "ok"
        owners = [s.keyring.pseudonym("user", 112233445566778800 + k) for k in range(5)]
        stored: set[int] = set()
        for o in owners:
            for e in await s.list_entries(o):
                assert not e.unreadable
                n = int(e.text.split()[1])
                assert e.text == f"entry {n} " * 50  # never a half entry
                stored.add(n)
                # entry and its session's "saved" mark were one transaction
                assert (await s.get_session(o, f"s{n}")).status == "saved"
        assert acked <= stored  # every acknowledged write survived the kill
        rows = await s._fetch("SELECT id, owner FROM sessions", ())
        for sid, owner in rows:
            got = await s.get_session(owner, sid)
            assert not got.unreadable and got.state["answers"]["q1"].startswith("answer ")


async def test_sigkill_mid_write_normal(tmp_path):
    acked = _run_and_kill(tmp_path, "NORMAL", 300)
    await _check(tmp_path, acked)
    # and it keeps working after recovery, twice
    acked2 = _run_and_kill(tmp_path, "NORMAL", 100, start=1_000_000)
    await _check(tmp_path, acked | acked2)


async def test_sigkill_mid_write_full(tmp_path):
    acked = _run_and_kill(tmp_path, "FULL", 100)
    await _check(tmp_path, acked)
