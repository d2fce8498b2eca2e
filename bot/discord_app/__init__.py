"""The Discord adapter: translates Discord events into core calls and core results into messages.

Named discord_app (not discord) so nothing can shadow the discord.py package.
"""
