"""End to end through the local fake Discord (tests/fakediscord: needs the test extra, run from the
repo root), and start-up time of the real bot versus `python -c "import discord"`.

E2E: a supervisee's message arrives on the gateway (MESSAGE_CREATE in their DM with the bot); the
bot steps the reflection through the real service and SQLite store and POSTs the rendered reply;
latency runs from the fake emitting the message to the fake receiving the REST reply.

The guided reflection's Discord cog (`bot.discord_app.cogs.reflect`) is used when present. When it
is not (it had not landed when this bench was written), a MINIMAL bot is measured instead: the real
`ReflectBot` (with whichever product cogs exist) plus one bench listener doing what the adapter
would do (pseudonymise the author, `ReflectionService.handle`, render, `channel.send`). The JSON
says which (`e2e_mode`).
"""
from __future__ import annotations

import asyncio
import importlib.util
import os
import random
import sys
import time
from pathlib import Path

from bot.core.flow import Event
from bot.gc_policy import settled

from bench.core import bench_env, fresh_dir, render_outputs
from bench.workload import Answers

REPO = Path(__file__).resolve().parent.parent


def available_cogs() -> tuple[str, ...]:
    from bot.discord_app.client import COGS

    return tuple(c for c in COGS if importlib.util.find_spec(c) is not None)


def reflect_cog_present() -> bool:
    return importlib.util.find_spec("bot.discord_app.cogs.reflect") is not None


def bench_config(data_dir: Path):
    from bot.config import Config, GuildSettings

    return Config(data_dir=data_dir, log_level="WARNING", defaults=GuildSettings(crisis_resources=("Samaritans: call 116 123",)))


async def e2e(root: Path, users: int, messages_each: int, think_s: float = 2.0) -> dict:
    import discord
    from bot.core.reflection import ReflectionService
    from bot.discord_app.client import ReflectBot
    from bot.services import build_services
    from bot.store import open_store
    from tests.fakediscord import FakeDiscord
    from tests.fakediscord.plugin import pointed_at

    d = fresh_dir(root, "e2e")
    cfg = bench_config(d)
    fake = FakeDiscord()
    await fake.start()
    lat: list[float] = []
    try:
        with pointed_at(fake):
            people = [fake.create_user(f"sup{i}") for i in range(users)]
            async with open_store(cfg.database_path, cfg.data_dir, env=bench_env()) as store:
                bot = ReflectBot(build_services(cfg, store), available_cogs())
                svc = ReflectionService(store, crisis_resources=("Samaritans: call 116 123",))
                sessions: dict[str, str] = {}

                async def on_message(message: discord.Message) -> None:
                    if message.author.bot or message.guild is not None:
                        return
                    owner = store.keyring.pseudonym("user", message.author.id)
                    sid = sessions.get(owner)
                    if sid is None:
                        return
                    turn = await svc.handle(owner, sid, Event("answer", message.content))
                    text = render_outputs(turn.outputs)[:2000] or "."
                    await message.channel.send(text)

                async with fake.running(bot):
                    cog = bot.get_cog("ReflectCog")
                    real = cog is not None and hasattr(cog, "start_reflection")
                    if not real:
                        bot.add_listener(on_message, "on_message")
                    waiting: dict[int, asyncio.Future] = {}
                    orig = fake.note_bot_post

                    async def note(msg) -> None:  # the REST reply arrived at the fake
                        await orig(msg)
                        fut = waiting.pop(msg.channel_id, None)
                        if fut is not None and not fut.done():
                            fut.set_result(time.perf_counter())

                    chans = {}
                    for u in people:
                        owner = store.keyring.pseudonym("user", u.id)
                        if real:  # the product's own path: /reflect in DMs opens the session at the DM
                            user = await bot.fetch_user(u.id)
                            _ch, t, _fb, _res = await cog.start_reflection(user, None, case="A.B.")
                            await cog.service.handle(owner, t.session_id, Event("consent", "A.B."))
                        else:
                            t = await svc.start(owner, case="A.B.")
                            await svc.handle(owner, t.session_id, Event("consent", "A.B."))
                            sessions[owner] = t.session_id
                        chans[u.id] = fake.dm_channel(u)
                    fake.note_bot_post = note
                    loop = asyncio.get_running_loop()

                    async def person(i: int, u, think: float) -> None:
                        gen = Answers(5000 + i)
                        rng = random.Random(i)
                        ch = chans[u.id]
                        if think:
                            await asyncio.sleep(rng.random() * think)
                        for _ in range(messages_each):
                            fut = loop.create_future()
                            waiting[ch.id] = fut
                            t0 = time.perf_counter()
                            await fake.say(u, ch, gen.next(300))
                            t1 = await asyncio.wait_for(fut, 60)
                            lat.append(t1 - t0)
                            if think:
                                await asyncio.sleep(think * (0.5 + rng.random()))

                    # warm-up: one message each from a few people, not counted
                    await asyncio.gather(*(person(i, u, 0) for i, u in enumerate(people[:5])))
                    out = {}
                    # paced: every supervisee types an answer every ~`think` s (users/think msg/s offered);
                    # saturated: all of them send again as soon as the reply arrives (closed loop)
                    with settled():  # as the bot runner does once started
                        for name, th in (("paced", think_s), ("saturated", 0.0)):
                            lat = []
                            t0 = time.perf_counter()
                            await asyncio.gather(*(person(i, u, th) for i, u in enumerate(people)))
                            out[name] = {"lat": lat, "seconds": time.perf_counter() - t0}
                    await asyncio.sleep(0.5)  # let the last replies' follow-up requests finish before closing
                    fake.note_bot_post = orig
            errors = fake.take_errors()
    finally:
        await fake.stop()
    from bench.core import scan_db

    ids = [u.id for u in people]
    scan = scan_db(cfg.database_path, ids)
    return {"paced": out["paced"], "saturated": out["saturated"], "think_s": think_s, "errors": errors,
            "scan": scan, "mode": "reflect-cog" if real else "minimal-bot", "cogs": list(available_cogs())}


# ------------------------------------------------------------------------------ start-up

CHILD = r"""
import asyncio, sys, time
t_start = time.perf_counter()
sys.path.insert(0, {repo!r})
import discord, discord.gateway, discord.http, yarl
from pathlib import Path
discord.http.Route.BASE = {api!r}
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL({gw!r})
from bench.e2e import available_cogs, bench_config
from bot.discord_app.client import ReflectBot
from bot.services import build_services
from bot.store import open_store

async def main():
    cfg = bench_config(Path({data!r}))
    async with open_store(cfg.database_path, cfg.data_dir, cfg.synchronous, key_file=cfg.key_file) as store:
        bot = ReflectBot(build_services(cfg, store), available_cogs())
        bot._connection.guild_ready_timeout = 0.05
        async with bot:
            task = asyncio.create_task(bot.start("fake-token"))
            await bot.wait_until_ready()
            print("READY", flush=True)
            await bot.close()
            await task

asyncio.run(main())
"""


async def _spawn_wall(args: list[str], until: bytes | None, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    p = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                             env=env, cwd=str(REPO))
    if until is None:
        out, err = await p.communicate()
        el = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(err.decode()[-2000:])
        return el
    while True:
        line = await asyncio.wait_for(p.stdout.readline(), 60)
        if not line:
            _, err = await p.communicate()
            raise RuntimeError("bot never became ready: " + err.decode()[-2000:])
        if line.strip() == until:
            el = time.perf_counter() - t0
            break
    await p.communicate()
    return el


async def startup(root: Path, rounds: int) -> dict:
    """Wall time from spawning the process to the bot's on_ready on the fake (real store, real
    ReflectBot), versus spawning `python -c "import discord"`; interleaved over rounds."""
    from tests.fakediscord import FakeDiscord

    fake = FakeDiscord()
    await fake.start()
    fake.create_guild("Clinic")
    env = dict(os.environ)
    env.update(bench_env())
    env.pop("PYTHONPATH", None)
    times = {"import_discord": [], "ready": []}
    try:
        for r in range(rounds):
            d = fresh_dir(root, "startup")
            child = CHILD.format(repo=str(REPO), api=fake.api_base, gw=fake.gateway_url, data=str(d))
            variants = [("import_discord", [sys.executable, "-c", "import discord"], None),
                        ("ready", [sys.executable, "-c", child], b"READY")]
            if r % 2:
                variants.reverse()
            for name, args, until in variants:
                times[name].append(await _spawn_wall(args, until, env))
        fake.take_errors()
    finally:
        await fake.stop()
    return times
