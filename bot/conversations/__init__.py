"""Conversations around the pure engine: the service that runs one turn (load state,
call `bot.engine.handle`, save or erase), the state store keyed by HMAC, the erasures
owed while the database is unreachable, and the golden transcripts that drive it."""
