"""One cog per user-facing area; each translates and nothing more."""
