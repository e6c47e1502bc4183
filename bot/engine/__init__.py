"""The conversation engine: one pure function from (state, message, listings) to a turn.

After RapidPro's goflow: the engine does no I/O of its own. `handle(state, inbound,
listings)` resumes a conversation with one inbound message and returns a `Turn`: the
new state, the replies, the classification and whether to erase the conversation. The
caller (bot.conversations.service) loads and stores the state and binds `listings` to
its database session; every channel, the advocate console and the transcript tests
drive this same code. It imports no Flask, no Twilio, and opens no session.

- `state.py`: the small per-conversation state (language, step, need, place, page,
  opted-out flag) and its JSON form.
- `transitions.py`: the steps (an Enum), the events, and every transition in one table.
- `machine.py`: `handle` and `handle_without_database` (degraded mode).
- `results.py`: search results rendered as one SMS of at most 3 segments.
"""

from bot.engine.machine import (
    Advocates,
    Availability,
    EngineSettings,
    HandoffRequest,
    Inbound,
    ListingReportRequest,
    Listings,
    Turn,
    UsageFacts,
    handle,
    handle_without_database,
    handoff_ended,
    render_for_channel,
)
from bot.engine.state import State
from bot.engine.transitions import TRANSITIONS, Event, Step, Transition

__all__ = [
    "TRANSITIONS",
    "Advocates",
    "Availability",
    "EngineSettings",
    "HandoffRequest",
    "Event",
    "Inbound",
    "ListingReportRequest",
    "Listings",
    "State",
    "Step",
    "Transition",
    "Turn",
    "UsageFacts",
    "handle",
    "handle_without_database",
    "handoff_ended",
    "render_for_channel",
]
