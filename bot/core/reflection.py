"""The reflection service: the flow over the store, so adapters (terminal, Discord) stay thin.

Every turn loads the session (scoped by owner), runs one pure `Flow.step`, performs its effects
(saving an entry), and persists the new state before returning, so an interrupted reflection
resumes exactly where it stopped. Raw answers exist only in the state handed to the store.
"""
from __future__ import annotations

import asyncio
import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from bot.core.content import Pack, get_pack
from bot.core.flow import ENDED, Event, Flow, Output, Saved, SaveEntry, Say, State, commands_in, flow_for
from bot.core.ports import Store, StoredSession


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Turn:
    """What one call produced: the session, its status and phase, and the outputs to render."""

    session_id: str
    status: str
    phase: str
    outputs: list[Output] = field(default_factory=list)
    commands: tuple[str, ...] = ()  # what the person can do next (adapters: buttons)


class SessionNotFound(LookupError):
    pass


class SessionUnreadable(SessionNotFound):
    """The stored state did not decrypt (tampered, or the person's key destroyed)."""


class ReflectionService:
    """One per process. Turns of the same session run one after another (a double-clicked Save
    saves once; two quick answers are both kept); turns of different sessions run concurrently."""

    def __init__(self, store: Store, pack: Pack | None = None, clock: Callable[[], datetime] | None = None,
                 crisis_resources: tuple[str, ...] | list[str] = (), flow: Flow | None = None):
        self.store = store
        self.pack = pack or get_pack()
        self.clock = clock or _utc_now
        self.crisis_resources = tuple(crisis_resources)
        self.flow = flow or flow_for(self.pack)
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}  # session id -> (lock, turns waiting or running)

    @asynccontextmanager
    async def _one_at_a_time(self, session_id: str):
        lock, users = self._turns.get(session_id, (None, 0))
        lock = lock or asyncio.Lock()
        self._turns[session_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[session_id]
            if users <= 1:
                del self._turns[session_id]  # nothing kept for idle sessions
            else:
                self._turns[session_id] = (lock, users - 1)

    @staticmethod
    def _turn(session: StoredSession, phase: str, outputs: list[Output]) -> Turn:
        return Turn(session.id, session.status, phase, outputs, commands_in(phase))

    async def start(self, owner: str, case: str | None = None, place: str | None = None,
                    seed: str | None = None) -> Turn:
        """A new reflection at its opening (consent still to be given)."""
        state, outputs = self.flow.start(case=case, seed=seed)
        now = self.clock()
        session = StoredSession(id=secrets.token_urlsafe(12), owner=owner, status=state.status,
                                state=state.to_dict(), place=place, created_at=now, updated_at=now)
        await self.store.put_session(session)
        return self._turn(session, state.phase, outputs)

    async def handle(self, owner: str, session_id: str, event: Event,
                     crisis_resources: tuple[str, ...] | list[str] | None = None) -> Turn:
        """One turn: step the flow, run its effects, persist, return the outputs."""
        async with self._one_at_a_time(session_id):
            return await self._handle(owner, session_id, event, crisis_resources)

    async def _handle(self, owner: str, session_id: str, event: Event,
                      crisis_resources: tuple[str, ...] | list[str] | None) -> Turn:
        session = await self.store.get_session(owner, session_id)
        if session is None:
            raise SessionNotFound(session_id)
        if session.unreadable:  # never treat it as a fresh reflection and overwrite it
            raise SessionUnreadable(session_id)
        state = State.from_dict(session.state)
        phase = state.phase
        resources = self.crisis_resources if crisis_resources is None else tuple(crisis_resources)
        # the state was decoded for this turn alone: step it in place, hand its fields to the store
        new, outputs = self.flow.step(state, event, resources, owned=True)
        final = StoredSession(id=session.id, owner=session.owner, status=new.status, state=new.fields_dict(),
                              place=session.place, created_at=session.created_at, updated_at=self.clock())
        saves = sum(isinstance(out, SaveEntry) for out in outputs)
        shown: list[Output] = []
        for out in outputs:
            if isinstance(out, SaveEntry):
                try:
                    # a single save carries the session's final state: entry + state in one write
                    entry_id = await (self.store.save_entry(owner, session.id, out.entry, session=final)
                                      if saves == 1 else self.store.save_entry(owner, session.id, out.entry))
                except Exception:
                    # keep the session as it was (answers included) so Save can be tried again
                    return self._turn(session, phase, [Say("flow/save_failed.j2")])
                shown.append(Saved(entry_id))
            else:
                shown.append(out)
        if saves != 1:
            await self.store.put_session(final)
        return self._turn(final, new.phase, shown)

    async def resume(self, owner: str, place: str | None = None) -> Turn | None:
        """The person's open (active or paused) reflection, re-shown where it stopped; None if none."""
        session = await (self.store.session_at(place) if place else self.store.open_session_for(owner))
        if session is None or session.owner != owner or session.unreadable:
            return None
        state = State.from_dict(session.state)
        if state.phase == ENDED:
            return None
        return await self.handle(owner, session.id, Event("resume"))
