"""Fake Discord gateway (websocket): HELLO, heartbeats, IDENTIFY/RESUME, READY, dispatch with replay.

discord.py 2.7 always asks for transport compression (``compress=zlib-stream``, or ``zstd-stream``
when a zstd module is importable).  We honour ``zlib-stream`` exactly like Discord (one shared
zlib context per connection, each message ending in Z_SYNC_FLUSH); for anything else we send
plain text frames, which discord.py also accepts.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeServer

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 3, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11

# Gateway intents (subset used for filtering)
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | (1 << 8) | MESSAGE_CONTENT

#: Per-session filter: given the session's intents, return the payload to send or None to skip.
Transform = Callable[[int], Optional[dict[str, Any]]]


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    compress: str | None
    zctx: Any = None

    def __post_init__(self) -> None:
        if self.compress == "zlib-stream":
            self.zctx = zlib.compressobj()

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        if self.zctx is not None:
            await self.ws.send_bytes(self.zctx.compress(text.encode()) + self.zctx.flush(zlib.Z_SYNC_FLUSH))
        else:
            await self.ws.send_str(text)


@dataclass(eq=False)
class Session:
    session_id: str
    intents: int
    token: str
    seq: int = 0
    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    conn: Connection | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dropping: bool = False


class Gateway:
    """Owns websocket sessions; the server calls :meth:`dispatch` for every event."""

    def __init__(self, server: FakeServer, heartbeat_interval_ms: int = 5000) -> None:
        self.server = server
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, Session] = {}
        self.identifies: list[dict[str, Any]] = []  # IDENTIFY `d` payloads as received
        self.resumes: list[dict[str, Any]] = []
        self.compress_requested: list[str | None] = []
        self.heartbeats = 0
        self.presence_updates: list[dict[str, Any]] = []
        self._resumed = asyncio.Event()
        self._identified = asyncio.Event()
        self._connections: set[web.WebSocketResponse] = set()

    @property
    def intents(self) -> int | None:
        """Intents of the most recent IDENTIFY."""
        return self.identifies[-1].get("intents") if self.identifies else None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._connections.add(ws)
        compress = request.query.get("compress")
        self.compress_requested.append(compress)
        if request.query.get("v") not in (None, "10"):
            self.server.record_error(f"gateway connected with unexpected version v={request.query.get('v')}")
        if request.query.get("encoding", "json") != "json":
            self.server.record_error(f"gateway encoding {request.query.get('encoding')} not supported")
        conn = Connection(ws, compress)
        session: Session | None = None
        try:
            await conn.send({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                op, d = data.get("op"), data.get("d")
                if op == HEARTBEAT:
                    self.heartbeats += 1
                    await conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
                elif op == IDENTIFY:
                    session = await self._identify(conn, d)
                    if session is None:
                        break
                elif op == RESUME:
                    session = await self._resume(conn, d)
                elif op == PRESENCE:
                    self.presence_updates.append(d)
                elif op == REQUEST_MEMBERS:
                    await self._members_chunk(conn, session, d)
                else:
                    self.server.record_error(f"gateway: unexpected opcode {op}: {data!r}")
        finally:
            self._connections.discard(ws)
            if session is not None and session.conn is not None and session.conn.ws is ws:
                session.conn = None
                # A client-initiated 1000 close ends the session; anything else stays resumable.
                if not session.dropping and ws.close_code == 1000:
                    self.sessions.pop(session.session_id, None)
                session.dropping = False
        return ws

    async def _identify(self, conn: Connection, d: dict[str, Any]) -> Session | None:
        self.identifies.append(d)
        token = d.get("token")
        if not self.server.token_ok(token):
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = d.get("intents")
        if intents is None:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return None
        if intents & PRIVILEGED & ~self.server.privileged_intents_enabled:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        session = Session(session_id=secrets.token_hex(16), intents=intents, token=token)
        self.sessions[session.session_id] = session
        async with session.lock:
            session.conn = conn
            await self._send_event(session, "READY", self.server.ready_payload(session))
            for guild_payload in self.server.guild_create_payloads():
                await self._send_event(session, "GUILD_CREATE", guild_payload)
        self._identified.set()
        return session

    async def _resume(self, conn: Connection, d: dict[str, Any]) -> Session | None:
        self.resumes.append(d)
        session = self.sessions.get(d.get("session_id"))
        if session is None or not self.server.token_ok(d.get("token")):
            await conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        last = d.get("seq") or 0
        async with session.lock:
            session.conn = conn
            for seq, payload in session.events:
                if seq > last:
                    await conn.send(payload)
            await self._send_event(session, "RESUMED", {})
        self._resumed.set()
        return session

    async def _members_chunk(self, conn: Connection, session: Session | None, d: dict[str, Any]) -> None:
        """Answer REQUEST_GUILD_MEMBERS with one chunk (only used if a bot enables the members intent)."""
        if session is None:
            return
        guild_id = d.get("guild_id")
        payload = self.server.members_chunk_payload(int(guild_id), d.get("nonce"))
        async with session.lock:
            await self._send_event(session, "GUILD_MEMBERS_CHUNK", payload)

    async def _send_event(self, session: Session, event: str, data: dict[str, Any]) -> None:
        """Assign the next sequence number, keep it for replay, send if connected. Caller holds the lock."""
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append((session.seq, payload))
        if session.conn is not None and not session.conn.ws.closed:
            try:
                await session.conn.send(payload)
            except (ConnectionError, RuntimeError):
                session.conn = None

    async def dispatch(self, event: str, transform: Transform | dict[str, Any]) -> int:
        """Send an event to every live session whose intents/visibility allow it; returns receivers."""
        sent = 0
        for session in list(self.sessions.values()):
            data = transform(session.intents) if callable(transform) else transform
            if data is None:
                continue
            async with session.lock:
                await self._send_event(session, event, data)
            sent += 1
        return sent

    async def drop_connection(self, code: int = 4000) -> None:
        """Close every live websocket with a resumable code, keeping sessions for RESUME."""
        self._resumed.clear()
        for session in self.sessions.values():
            if session.conn is not None:
                session.dropping = True
                conn, session.conn = session.conn, None
                await conn.ws.close(code=code, message=b"fake: dropped")
                session.dropping = False

    async def send_reconnect(self) -> None:
        """Send opcode 7 RECONNECT (Discord asking the client to resume elsewhere)."""
        self._resumed.clear()
        for session in self.sessions.values():
            if session.conn is not None:
                session.dropping = True
                await session.conn.send({"op": RECONNECT, "d": None, "s": None, "t": None})

    async def wait_resumed(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._resumed.wait(), timeout)

    async def close_all(self) -> None:
        for ws in list(self._connections):
            await ws.close(code=1001, message=b"fake: shutting down")
