"""Why a console turn went as it did: what matched, what the engine did, why these listings.

- `explain_reading`: the words (after spelling correction) and the rule phrases that
  matched with their scores (what `harbor classify --explain` prints), the rules' own
  choice beside the reading's (when the second opinion changed it), and the reading's
  other signals (safety, needs, who, urgency, subject).
- `RecordingListings`: the engine's search, recorded, so the console can say for each
  listing offered why it was chosen: its band, distance, whether it is verified, whether
  it speaks the language and serves the people named, and whether it is open now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.conversations.service import DatabaseListings
from resources_db.geography import Place
from resources_db.listing_rules import stale_before
from resources_db.search import RADII_MILES, SearchHit, SearchResults
from resources_db.vocabulary import POPULATION_NAMES, REFUSALS

if TYPE_CHECKING:
    from intents.matcher import Classification


@dataclass(frozen=True)
class Reading:
    """What the console shows about how a message was read."""

    words: tuple[str, ...]
    corrected: tuple[str, ...]
    matches: tuple[tuple[str, tuple[str, ...]], ...]  # intent -> what matched
    scores: tuple[tuple[str, int], ...]  # the rules' scores, best first
    rules_intent: str
    rules_score: int
    signals: tuple[tuple[str, str], ...]  # safety, needs, who, urgency, subject


def explain_reading(text: str, classification: Classification) -> Reading:
    """Return why `text` was read as `classification` (with the rules in force here)."""
    from intents.matcher import compiled_rules  # loaded by the reading it explains

    rules = compiled_rules()
    explanation = rules.explain(text)
    by_rules = rules.classify(text)
    signals = (
        ("safety", f"{classification.safety} ({classification.safety_score})"
                   if classification.safety else "none"),
        ("needs", ", ".join(classification.needs) or "none"),
        ("who", ", ".join(classification.who) or "none named"),
        ("urgency", classification.urgency or "none"),
        ("subject", classification.subject),
    )
    return Reading(
        words=tuple(explanation["words"]),
        corrected=tuple(explanation["corrected"]),
        matches=tuple((intent, tuple(found)) for intent, found in explanation["matches"].items()),
        scores=tuple(explanation["scores"].items()),
        rules_intent=by_rules.intent, rules_score=int(by_rules.score),
        signals=signals,
    )


@dataclass(frozen=True)
class ListingWhy:
    """One listing offered and the reasons it was chosen, in words."""

    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SearchWhy:
    """One search the engine ran this turn and why each listing came back."""

    category: str
    place: str
    language: str
    band: str
    local_total: int
    total: int
    listings: tuple[ListingWhy, ...]


def _band(hit: SearchHit) -> str:
    if hit.scope != "local":
        return {"state": "state-wide (no closer listing)", "national": "national"}.get(
            hit.scope, hit.scope)
    if hit.distance_miles is None:
        return "local: its service area covers the place"
    for radius in RADII_MILES:
        if hit.distance_miles <= radius:
            return f"local, within {radius} miles"
    return "local: its service area covers the place"


def listing_reasons(hit: SearchHit, language: str, who: tuple[str, ...],
                    now: datetime) -> tuple[str, ...]:
    """Return why `hit` was offered: band, distance, verified, language, people, open now."""
    reasons = [_band(hit)]
    if hit.distance_miles is not None:
        reasons.append(f"{hit.distance_miles:.1f} miles away")
    if hit.verified_at is None:
        reasons.append("never verified (after verified listings)")
    elif hit.verified_at < stale_before(now.date()):
        reasons.append(f"verified {hit.verified_at:%Y-%m-%d}: stale, after fresher ones")
    else:
        reasons.append(f"verified {hit.verified_at:%Y-%m-%d}")
    speaks = language in hit.languages
    reasons.append(f"speaks {language}: {'yes' if speaks else 'no'}"
                   f" ({', '.join(hit.languages) or 'no language listed'})")
    if who:
        served = [group for group in who if group in hit.populations]
        refused = [POPULATION_NAMES[code].lower() for code, group in REFUSALS.items()
                   if group in who and code in hit.populations]
        reasons.append(f"serves {', '.join(who)}: "
                       f"{'yes, ' + ', '.join(served) if served else 'not listed'}"
                       + "".join(f"; {words}: after the rest" for words in refused))
    elif hit.populations:
        reasons.append(f"serves {', '.join(hit.populations)}")
    if hit.open_now is None:
        reasons.append("hours unknown")
    else:
        reasons.append(f"{'open' if hit.open_now else 'closed'} now ({hit.hours})")
    if hit.confidential:
        reasons.append("confidential")
    return tuple(reasons)


@dataclass
class RecordingListings:
    """The engine's `Listings` on the request's session, remembering every search."""

    inner: DatabaseListings
    searches: list[tuple[str, Place, str, datetime, SearchResults]] = field(
        default_factory=list)

    def search(self, category: str, place: Place, *, language: str | None, limit: int,
               offset: int, now: datetime, populations: tuple[str, ...] = (),
               sub_need: str = "", prefer_open: bool = False) -> SearchResults:
        """Search as the engine asked, and keep what came back."""
        results = self.inner.search(category, place, language=language, limit=limit,
                                    offset=offset, now=now, populations=populations,
                                    sub_need=sub_need, prefer_open=prefer_open)
        self.searches.append((category, place, language or "", now, results))
        return results

    def explained(self, who: tuple[str, ...]) -> tuple[SearchWhy, ...]:
        """Return each recorded search with the reasons for each listing it offered."""
        found = []
        for category, place, language, now, results in self.searches:
            band = (f"{results.radius_miles} miles" if results.radius_miles
                    else "no local listing: state-wide and national")
            found.append(SearchWhy(
                category=category, place=place.label(), language=language, band=band,
                local_total=results.local_total, total=results.total,
                listings=tuple(ListingWhy(hit.name, listing_reasons(hit, language, who, now))
                               for hit in results.hits)))
        return tuple(found)
