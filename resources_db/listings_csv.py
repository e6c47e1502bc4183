"""The listings CSV: read and check a whole file, plan an import, apply it, export.

The columns are `COLUMNS` (DESIGN.md); the per-row rules live in `listing_rules`, shared
with the admin forms. The steps, each usable on its own (the admin upload shows the plan
before the admin confirms):

    parsed = read_listings_csv(data)           # every error as (line, column, message)
    plan = plan_import(session, parsed.records) # to add, to update, to deactivate, unchanged
    apply_import(session, plan, actor="a@b.org", source="csv")  # + one AuditEntry each
    session.commit()                            # the caller's transaction: all or nothing

`import_listings_csv` runs the three steps and writes nothing at all when any row is bad.
`export_listings_csv` writes all listings, or a filtered selection, with the same columns;
export then import gives the same listings field for field.

File-level checks: UTF-8 (a byte-order mark is allowed), a header row naming every column
once and no unknown column (any order), the right number of fields on every row, no
duplicate `id`. Line numbers are the file's own, header = line 1; a quoted field that spans
lines is reported at the line where its row starts. A row whose description refuses pets
("no pets", "sin mascotas") gets `no_pets` unless it names `pets`, and one whose
description says an age limit ("adults only", "18+", "ages 12-17", "solo adultos") gets
the listing's `minimum_age`/`maximum_age` (`listing_words`); the columns stay the same.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .listing_rules import COLUMNS, FieldError, ListingRecord, validate_listing
from .listing_words import ages_from_words, populations_from_words
from .listings_store import ListingChange, apply_changes, listing_fields, load_fields
from .models import Listing, ListingCategory

ProgressCallback = Callable[[int], None]
# OWASP "CSV injection": spreadsheets run a cell that starts with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_PROGRESS_EVERY = 1000
_APPLY_CHUNK = 5000


@dataclass(frozen=True)
class ParsedFile:
    """A whole CSV file checked: the valid records, and every error found."""

    records: tuple[ListingRecord, ...]
    errors: tuple[FieldError, ...]
    rows: int  # data rows read (the header not counted)

    @property
    def ok(self) -> bool:
        return not self.errors and self.rows > 0

    def bad_lines(self) -> list[int]:
        """Return the line numbers that have at least one error, in order."""
        return sorted({error.line for error in self.errors})


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do, listing by listing; nothing is written to make it."""

    to_add: tuple[ListingChange, ...] = ()
    to_update: tuple[ListingChange, ...] = ()
    to_deactivate: tuple[ListingChange, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def changes(self) -> tuple[ListingChange, ...]:
        return (*self.to_add, *self.to_update, *self.to_deactivate)

    def counts(self) -> dict[str, int]:
        """Return {'add': n, 'update': n, 'deactivate': n, 'unchanged': n}."""
        return {
            "add": len(self.to_add),
            "update": len(self.to_update),
            "deactivate": len(self.to_deactivate),
            "unchanged": len(self.unchanged),
        }


@dataclass(frozen=True)
class ImportReport:
    """The outcome of `import_listings_csv`: the plan, the errors, and whether it wrote."""

    parsed: ParsedFile
    plan: ImportPlan = field(default_factory=ImportPlan)
    written: int = 0
    applied: bool = False

    @property
    def ok(self) -> bool:
        return self.parsed.ok


def neutralize_formula(cell: str) -> str:
    """Return `cell` safe to open in a spreadsheet: a ' before a leading = + - @ tab or CR.

    A plain number (a longitude such as -91.66) is left as it is: a number runs nothing.
    A cell that already starts with ' before such a character gets one more, so that
    `restore_neutralized` gives back exactly what was stored.
    """
    unquoted = cell.lstrip("'")
    if unquoted[:1] and unquoted[:1] in FORMULA_TRIGGERS and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def restore_neutralized(cell: str) -> str:
    """Undo `neutralize_formula`, so an exported file imports back unchanged."""
    unquoted = cell.lstrip("'")
    if cell[:1] == "'" and unquoted[:1] and unquoted[:1] in FORMULA_TRIGGERS:
        return cell[1:]
    return cell


def _decode(data: bytes) -> tuple[str | None, FieldError | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, FieldError(
            line, "", f"the file is not UTF-8 (byte 0x{data[exc.start]:02x}); "
                      "save it as 'CSV UTF-8' and try again"
        )


def _check_header(header: list[str]) -> list[FieldError]:
    names = [name.strip() for name in header]
    errors = []
    missing = [column for column in COLUMNS if column not in names]
    unknown = [name for name in names if name not in COLUMNS]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if missing:
        errors.append(FieldError(1, "", f"the header lacks column(s): {', '.join(missing)}"))
    if unknown:
        errors.append(FieldError(1, "", f"unknown column(s) in the header: "
                                        f"{', '.join(repr(n) for n in unknown)}"))
    if repeated:
        errors.append(FieldError(1, "", f"column(s) named twice: {', '.join(repeated)}"))
    return errors


def csv_data_rows(reader) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the row starts, fields) for each non-blank row of a csv.reader.

    Call it after the header is read. A quoted field that spans lines is reported at the
    line where its row starts. csv.Error propagates (`reader.line_num` tells where).
    """
    previous_end = reader.line_num
    for values in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if values and any(value.strip() for value in values):
            yield start, values


def read_listings_csv(
    source: bytes | str | Path | IO[bytes],
    *,
    progress: ProgressCallback | None = None,
    today: date | None = None,
) -> ParsedFile:
    """Read and check a whole listings CSV (bytes, a path, or a binary file)."""
    if isinstance(source, (str, Path)):
        data = Path(source).read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    text, problem = _decode(data)
    if problem is not None:
        return ParsedFile((), (problem,), 0)
    assert text is not None  # noqa: S101 - decoded when there was no problem
    if not text.strip():
        return ParsedFile((), (FieldError(1, "", "the file is empty (a header row is "
                                                   "required)"),), 0)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[FieldError] = []
    records: list[ListingRecord] = []
    try:
        header = next(reader)
    except csv.Error as exc:
        return ParsedFile((), (FieldError(1, "", f"the header is not valid CSV: {exc}"),), 0)
    header_errors = _check_header(header)
    if header_errors:
        return ParsedFile((), tuple(header_errors), 0)
    names = [name.strip() for name in header]
    first_line_of: dict[str, int] = {}
    rows = 0
    try:
        for start, values in csv_data_rows(reader):
            rows += 1
            if progress is not None and rows % _PROGRESS_EVERY == 0:
                progress(_PROGRESS_EVERY)
            if len(values) != len(names):
                errors.append(FieldError(start, "", f"has {len(values)} fields; the header "
                                                    f"has {len(names)}"))
                continue
            fields = dict(zip(names, map(restore_neutralized, values), strict=True))
            # "No pets" in the description is a refusal the row's columns may not say.
            fields["populations"] = populations_from_words(fields["populations"],
                                                           fields["description"])
            validation = validate_listing(fields, start, today=today)
            listing_id = fields["id"].strip()
            if listing_id:
                if listing_id in first_line_of:
                    first = first_line_of[listing_id]
                    errors.append(FieldError(start, "id", f"duplicate id '{listing_id}' "
                                                          f"(first on line {first})"))
                else:
                    first_line_of[listing_id] = start
            if validation.ok:
                records.append(_with_ages_from_words(validation.record))
            else:
                errors.extend(validation.errors)
    except csv.Error as exc:
        # The reader cannot resynchronize after a broken quote: the rest is unread.
        errors.append(FieldError(reader.line_num, "", f"not valid CSV: {exc}"))
    if progress is not None and rows % _PROGRESS_EVERY:
        progress(rows % _PROGRESS_EVERY)
    if rows == 0 and not errors:
        errors.append(FieldError(2, "", "the file has a header but no listings"))
    return ParsedFile(tuple(records), tuple(errors), rows)


def _with_ages_from_words(record: ListingRecord) -> ListingRecord:
    """Return the record with the age limits its description says ("adults only", "ages
    12-17"), kept in `minimum_age`/`maximum_age`: no CSV column holds them."""
    minimum_age, maximum_age = ages_from_words(record.description)
    if minimum_age is None and maximum_age is None:
        return record
    return replace(record, minimum_age=minimum_age, maximum_age=maximum_age)


def plan_import(
    session: Session,
    records: Sequence[ListingRecord],
    *,
    deactivate_missing: bool = False,
    deactivate_only: Iterable[str] | None = None,
) -> ImportPlan:
    """Compare the records with the stored listings: what to add, update, deactivate.

    With `deactivate_missing`, active listings absent from `records` are deactivated too
    (the file is then the whole directory). With `deactivate_only` as well, only the
    listings with those ids may be deactivated that way (a source that speaks for part of
    the directory, such as an HSDS package for its own services). Listings are never
    deleted.
    """
    scope = None if deactivate_only is None else set(deactivate_only)
    if scope is not None and not deactivate_missing:
        raise ValueError("deactivate_only limits deactivate_missing; pass both")
    present = {record.id for record in records}
    if deactivate_missing and scope is None:
        wanted: list[str] | None = None  # every stored listing
    else:
        wanted = [record.id for record in records] + sorted((scope or set()) - present)
    stored = load_fields(session, wanted)
    to_add, to_update, to_deactivate, unchanged = [], [], [], []
    for record in records:
        old = stored.get(record.id)
        change = ListingChange(record, old)
        if old is None:
            to_add.append(change)
        elif not change.changed_columns():
            unchanged.append(record.id)
        elif change.action == "deactivate":
            to_deactivate.append(change)
        else:
            to_update.append(change)
    if deactivate_missing:
        for listing_id, old in stored.items():
            if listing_id in present or old["active"] != "true":
                continue
            if scope is not None and listing_id not in scope:
                continue
            record = validate_listing({**old, "active": "false"}).record
            if record is not None:
                to_deactivate.append(ListingChange(record, old))
    return ImportPlan(tuple(to_add), tuple(to_update), tuple(to_deactivate), tuple(unchanged))


def apply_import(
    session: Session,
    plan: ImportPlan,
    *,
    actor: str,
    source: str,
    user_id: int | None = None,
    progress: ProgressCallback | None = None,
) -> int:
    """Write the plan's changes and their AuditEntry rows; return how many. No commit."""
    changes = plan.changes
    written = 0
    for start in range(0, len(changes), _APPLY_CHUNK):
        chunk = changes[start : start + _APPLY_CHUNK]
        written += apply_changes(session, chunk, actor=actor, source=source, user_id=user_id)
        if progress is not None:
            progress(len(chunk))
    return written


def import_listings_csv(
    session: Session,
    source: bytes | str | Path | IO[bytes],
    *,
    actor: str,
    source_label: str = "cli",
    user_id: int | None = None,
    dry_run: bool = False,
    deactivate_missing: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Check a whole file and, only if every row is valid, apply it (no commit)."""
    parsed = read_listings_csv(source, progress=progress)
    if not parsed.ok:
        return ImportReport(parsed)
    plan = plan_import(session, parsed.records, deactivate_missing=deactivate_missing)
    if dry_run:
        return ImportReport(parsed, plan)
    written = apply_import(session, plan, actor=actor, source=source_label, user_id=user_id)
    return ImportReport(parsed, plan, written, applied=True)


def listings_query(
    *,
    category: str | None = None,
    state: str | None = None,
    active: bool | None = None,
    ids: Iterable[str] | None = None,
) -> Select:
    """Return a select of Listing rows, filtered, ordered by id (for export and admin lists)."""
    query = select(Listing).order_by(Listing.id)
    if category:
        query = query.where(Listing.id.in_(
            select(ListingCategory.listing_id).where(ListingCategory.category == category)
        ))
    if state:
        query = query.where(Listing.state == state.upper())
    if active is not None:
        query = query.where(Listing.active.is_(active))
    if ids is not None:
        query = query.where(Listing.id.in_(list(ids)))
    return query


def write_listings_csv(rows: Iterable[dict[str, str]], stream: IO[str]) -> int:
    """Write a header and these field dicts as CSV to a text stream; return the row count.

    Every export is opened in a spreadsheet sooner or later, by whoever receives it:
    cells that a spreadsheet would run as formulas are always defused
    (`neutralize_formula`), and `read_listings_csv` undoes it on the way back in. The
    admin's download and `harbor resources export` both write through here.
    """
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({column: neutralize_formula(value) for column, value in row.items()})
        count += 1
    return count


def export_listings_csv(session: Session, stream: IO[str], query: Select | None = None) -> int:
    """Write the listings selected by `query` (default: all, by id) as formula-safe CSV."""
    query = query if query is not None else listings_query()
    listings = session.scalars(query.execution_options(yield_per=2000))
    return write_listings_csv((listing_fields(listing) for listing in listings), stream)
