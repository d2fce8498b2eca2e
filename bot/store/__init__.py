"""The store: SQLite (aiosqlite, WAL, group commit) behind bot.core.ports.Store.

    async with open_store() as store:        # data/bot.sqlite3, data/secret.key by default
        owner = store.keyring.pseudonym("user", discord_user_id)
        await store.put_session(...)

`load_keyring(data_dir)` gives adapters the same keyring (checked against the database)
without opening the store.
"""
from bot.store.sqlite import SQLiteStore, load_keyring, open_store

__all__ = ["open_store", "load_keyring", "SQLiteStore"]
