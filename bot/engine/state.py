"""The state one conversation keeps between messages, and its JSON form.

Only what the next reply needs: the language, the step, the need, the place, the page
of results, the opted-out flag, whether the exit tip was given, a city waiting for
its state, whether the last steps follow a danger or self-harm reply, and the ids of
the listings last shown (so "WRONG 2" can name one).
Never a message body, never a number (privacy rule 2).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from bot.engine.transitions import Step
from bot.texts import replies
from resources_db.geography import Place

STATE_VERSION = 1
_PLACE_FIELDS = {field.name for field in fields(Place)}


def place_to_dict(place: Place) -> dict:
    """Return a Place as a JSON-ready dict."""
    return asdict(place)


def place_from_dict(data: dict | None) -> Place | None:
    """Return the Place stored as `data`, or None when there is none or it is malformed."""
    if not isinstance(data, dict) or not data.get("kind") or not data.get("state"):
        return None
    try:
        return Place(**{key: value for key, value in data.items() if key in _PLACE_FIELDS})
    except TypeError:
        return None


@dataclass(frozen=True)
class State:
    """One conversation's state; the engine returns a new one each turn."""

    language: str = ""  # "" until the first message sets it
    step: Step = Step.NEW
    need: str = ""  # a category of resources_db (a need id, "advocacy" or "hotline")
    place: Place | None = None
    page: int = 0
    opted_out: bool = False
    tip_given: bool = False
    # A city named in several states, waiting for the person to say which.
    pending_city: str = ""
    pending_states: tuple[str, ...] = ()
    pending_likely: str = ""
    # "danger" or "self_harm" while the conversation is in the steps after that reply:
    # there only a real place counts as a place, and a status update is acknowledged.
    after_safety: str = ""
    # The listings of the last results shown, in order, and the number of the first:
    # what "WRONG 2" points at. Listing ids only, never anything the person wrote.
    shown_ids: tuple[str, ...] = ()
    shown_from: int = 1
    # WRONG 2 asked what is wrong: the listing and its number, until the answer comes.
    report_listing: str = ""
    report_number: int = 0

    def to_dict(self) -> dict:
        """Return the JSON form stored in ConversationState.state."""
        return {
            "v": STATE_VERSION,
            "language": self.language,
            "step": self.step.value,
            "need": self.need,
            "place": place_to_dict(self.place) if self.place else None,
            "page": self.page,
            "opted_out": self.opted_out,
            "tip_given": self.tip_given,
            "pending_city": self.pending_city,
            "pending_states": list(self.pending_states),
            "pending_likely": self.pending_likely,
            "after_safety": self.after_safety,
            "shown_ids": list(self.shown_ids),
            "shown_from": self.shown_from,
            "report_listing": self.report_listing,
            "report_number": self.report_number,
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> State:
        """Return the State stored as `data`; anything unreadable starts afresh."""
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            return cls()
        try:
            step = Step(data.get("step", Step.NEW.value))
        except ValueError:
            step = Step.NEW
        # Any language with a catalog; the engine answers in it only if it is switched on.
        language = data.get("language") if data.get("language") in replies.LANGUAGES else ""
        page = data.get("page")
        return cls(
            language=language,
            step=step,
            need=str(data.get("need") or ""),
            place=place_from_dict(data.get("place")),
            page=page if isinstance(page, int) and page >= 0 else 0,
            opted_out=bool(data.get("opted_out")),
            tip_given=bool(data.get("tip_given")),
            pending_city=str(data.get("pending_city") or ""),
            pending_states=tuple(str(s) for s in data.get("pending_states") or ()),
            pending_likely=str(data.get("pending_likely") or ""),
            after_safety=(data.get("after_safety")
                          if data.get("after_safety") in ("danger", "self_harm") else ""),
            shown_ids=tuple(str(i) for i in data.get("shown_ids") or ())[:10],
            shown_from=_positive(data.get("shown_from"), 1),
            report_listing=str(data.get("report_listing") or ""),
            report_number=_positive(data.get("report_number"), 0),
        )


def _positive(value, default: int) -> int:
    return value if isinstance(value, int) and value >= 0 else default
