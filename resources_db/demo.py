"""Demo listings: 180-odd fictional local listings plus the real national hotlines.

`resources_db/data/demo_listings.csv` holds them in the import format. Local listings are
invented (names marked "(fictional)" in the organization column, descriptions starting
"Fictional demo listing.", phone numbers in the reserved 555-01xx range) in four regions:
Cedar Rapids IA, Louisville KY, Jacksonville FL and St. Louis MO, each with every
category, outer towns 25 to 75 miles away (for the distance bands), stale and inactive
examples, and Spanish-speaking, confidential and non-confidential services. State-wide
lines for IA, KY, FL and MO are fictional too. The national lines are real, with their
real numbers and hours.

`load_demo_listings` is idempotent: it goes through the ordinary import plan, so a second
run finds every listing unchanged and writes nothing. It never touches a listing that
someone changed after it was loaded (any audit entry from another source than the
demo): `make run` must not put a demo listing back over an admin's edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .database import make_engine, make_session_factory, scratch_database
from .listings_csv import ImportPlan, apply_import, plan_import, read_listings_csv
from .models import AuditEntry

DEMO_LISTINGS_CSV = Path(__file__).parent / "data" / "demo_listings.csv"
DEMO_REGIONS = {
    "Cedar Rapids, IA": "52401",
    "Louisville, KY": "40202",
    "Jacksonville, FL": "32202",
    "St. Louis, MO": "63101",
}


class DemoDataError(RuntimeError):
    """The shipped demo file does not validate (a bug in the file, never in user input)."""


def load_demo_listings(session: Session, actor: str = "demo") -> ImportPlan:
    """Add or refresh the demo listings in the session's transaction; return the plan."""
    parsed = read_listings_csv(DEMO_LISTINGS_CSV)
    if not parsed.ok:
        problems = "; ".join(str(error) for error in parsed.errors[:5])
        raise DemoDataError(f"{DEMO_LISTINGS_CSV.name} is invalid: {problems}")
    edited = edited_by_people(session, [record.id for record in parsed.records])
    plan = plan_import(session, [record for record in parsed.records
                                 if record.id not in edited])
    apply_import(session, plan, actor=actor, source="demo")
    return plan


def edited_by_people(session: Session, ids: list[str]) -> set[str]:
    """Return the ids among `ids` that someone changed (an audit entry not from the demo)."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        found.update(session.scalars(
            select(AuditEntry.listing_id).where(AuditEntry.listing_id.in_(ids[start:start + 500]),
                                                AuditEntry.source != "demo").distinct()))
    return found


@contextmanager
def scratch_demo_database(server_url: str | None, prefix: str) -> Iterator[str]:
    """Yield the URL of a throwaway migrated database holding the demo listings.

    On the PostgreSQL server `server_url` names, or a SQLite file when it is None; the
    database is dropped when the block ends (benchmarks and tests against gunicorn).
    """
    with scratch_database(server_url, prefix=prefix) as url:
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                load_demo_listings(session)
                session.commit()
        finally:
            engine.dispose()
        yield url
