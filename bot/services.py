"""Wiring: the objects an adapter needs, built once from the config and an open store."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from bot.config import Config
from bot.core.content import Pack, get_pack


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    config: Config
    store: Any  # bot.core.ports.Store, implemented by bot.store
    pack: Pack
    clock: Callable[[], datetime] = utc_now
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def keyring(self) -> Any:
        return self.store.keyring


def build_services(config: Config, store: Any, clock: Callable[[], datetime] = utc_now, pack_id: str = "ipnb") -> Services:
    return Services(config=config, store=store, pack=get_pack(pack_id), clock=clock)
