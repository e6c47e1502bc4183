"""The last resort for owed erasures: a folder on this machine (see owed_erasures).

EXIT must work with the database down (DESIGN.md rules 3 and 5): the person is told at
once that the chat is cleared. What could not be deleted then is written down here, as
the conversation key only (the HMAC, never a number, a token or a message), one empty
file per key in a folder of the instance (`PENDING_ERASURES_DIR`), so that every worker
on the machine sees it and a restart does not forget it.

The first turn that reaches the database again, in any worker, erases every owed key in
its own transaction, before it loads any state: the person's next message can never
resume the conversation they erased. The files go once that transaction has committed.

A folder is per machine. With several machines, each one settles what it owes at its
first turn after the outage, whichever conversation that turn belongs to.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

logger = logging.getLogger("harbor.pending_erasures")

# "<namespace>:<64 hex digits>" (conversation_store.conversation_key), as a file name.
KEY_PATTERN = re.compile(r"^(sms|chat|console):([0-9a-f]{64})$")
_FILE = re.compile(r"^(sms|chat|console)-([0-9a-f]{64})$")


class PendingErasures:
    """The folder of conversation keys still to erase."""

    def __init__(self, directory: str | os.PathLike[str] | None) -> None:
        # None: a configuration not made by bot.config (a bare dict in a script); then
        # nothing can be owed, and an exit during an outage waits for SESSION_TTL_MINUTES.
        self.directory = Path(directory) if directory else None

    def add(self, key: str) -> bool:
        """Remember that conversation `key` must be erased; return False if it could not be."""
        match = KEY_PATTERN.match(key)
        if match is None:
            raise ValueError("not a conversation key")
        if self.directory is None:
            logger.error("an erasure could not be written down: no PENDING_ERASURES_DIR")
            return False
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            (self.directory / f"{match[1]}-{match[2]}").touch()
        except OSError as error:
            # The reply still says cleared: the state then goes at SESSION_TTL_MINUTES.
            logger.error("an erasure could not be written down: %s", type(error).__name__)
            return False
        return True

    def keys(self) -> list[str]:
        """Return the conversation keys still owed an erasure (cheap when there are none)."""
        if self.directory is None:
            return []
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        except OSError as error:
            logger.error("the owed erasures could not be read: %s", type(error).__name__)
            return []
        return [f"{match[1]}:{match[2]}" for name in names if (match := _FILE.match(name))]

    def settled(self, keys: list[str] | tuple[str, ...]) -> None:
        """Forget keys whose erasure has been committed."""
        for key in keys:
            match = KEY_PATTERN.match(key)
            if match is None or self.directory is None:
                continue
            try:
                (self.directory / f"{match[1]}-{match[2]}").unlink(missing_ok=True)
            except OSError as error:
                # Harmless: the next turn erases the (already absent) rows again.
                logger.warning("a settled erasure stayed on disk: %s", type(error).__name__)


def pending_erasures(config) -> PendingErasures:
    """Return the owed-erasures folder of this configuration."""
    return PendingErasures(config.get("PENDING_ERASURES_DIR"))
