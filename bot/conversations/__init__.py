"""Conversations around the pure engine: the service that runs one turn (load state,
call `bot.engine.handle`, save or erase), the conversation store behind one interface
(Redis, SQLite or memory; keys are HMACs), the erasures owed while it is unreachable,
and the golden transcripts that drive it."""
