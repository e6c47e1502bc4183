"""Benchmarks of search and CSV import on synthetic listings (`harbor bench search|import`).

Both run in a scratch database of their own (`scratch_database`): a temporary SQLite file
by default, or a database created on the given PostgreSQL server and dropped afterwards,
so nothing is left behind.

The synthetic listings look like a national directory: each sits at a random real ZIP
(so density follows where ZIPs are: dense in cities, sparse in the plains), with one to
three categories, about 3% state-wide and 0.2% national, 5% inactive, 15% stale, 5% with
a county service area, a third speaking Spanish, and a mix of 24/7 and office hours;
half of the legal, health and children listings name sub-needs (`legal/family`), and 2%
also carry `using_violence` (which the search's guard must drop for a survivor).
Queries mix ZIPs (70%), cities (20%) and states alone (10%), any category, sometimes a
language, a population, open-now or a second page; and, for the ranking of issue 13,
one or two populations (20%), a sub-need (40% of legal, health and children searches)
and open-first at night (30%). Those extras come from a second random stream, so the
listings and the base queries are the same as before they were added. Each timed call
opens its own session, as a request does.
"""

from __future__ import annotations

import csv
import io
import random
import statistics
import time
from collections.abc import Callable

from sqlalchemy import text

from . import geography
from .database import make_engine, make_session_factory, scratch_database
from .geography import Place
from .listing_rules import COLUMNS, validate_listing
from .listings_csv import import_listings_csv
from .listings_store import save_listings
from .search import search
from .vocabulary import CATEGORIES, NAMED_POPULATIONS, SUB_NEEDS, USING_VIOLENCE

# The categories of a survivor's needs, in the order the benchmark always drew them from.
_SURVIVOR_CATEGORIES = tuple(c for c in CATEGORIES if c != USING_VIOLENCE)

_HOURS = ("24/7", "Mon-Fri 09:00-17:00", "Mon-Fri 08:00-18:00;Sat 09:00-13:00",
          "Tue,Thu 17:30-20:30", "")


def _real_zips() -> list[str]:
    """Return the ZIPs of the states and territories Harbor knows (no military codes)."""
    records = geography._index().zips  # noqa: SLF001 - the package's own ZIP list
    return sorted(z for z, r in records.items() if r["state"] in geography.STATE_NAMES)


def synthetic_listing_fields(count: int, seed: int = 7) -> list[dict[str, str]]:
    """Return `count` synthetic listings as CSV fields (valid, reproducible for a seed)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    extra = random.Random(seed * 1000 + 13)  # noqa: S311 - the issue-13 extras, apart
    zips = _real_zips()
    rows = []
    for index in range(count):
        zip_code = rng.choice(zips)
        place = geography.lookup_zip(zip_code)
        roll = rng.random()
        service_area, state, city = "", place.state, place.city
        latitude = longitude = ""
        if roll < 0.002:
            service_area, zip_code, state, city = "national", "", "", ""
        elif roll < 0.032:
            service_area, zip_code, city = f"state:{place.state}", "", ""
        elif roll < 0.082 and place.county:
            service_area = f"county:{place.county}, {place.state}"
        elif rng.random() < 0.5:
            latitude = repr(round(place.latitude + rng.uniform(-0.02, 0.02), 5))
            longitude = repr(round(place.longitude + rng.uniform(-0.02, 0.02), 5))
        categories = rng.sample(_SURVIVOR_CATEGORIES, rng.choice((1, 1, 2, 3)))
        categories = [f"{c}/{extra.choice(SUB_NEEDS[c])}"
                      if c in SUB_NEEDS and extra.random() < 0.5 else c for c in categories]
        if extra.random() < 0.02:
            categories.append(USING_VIOLENCE)
        stale = rng.random() < 0.15
        rows.append({
            "id": f"syn-{index:07d}",
            "name": f"Synthetic Service {index}",
            "organization": f"Synthetic Org {index // 4}",
            "categories": ";".join(categories),
            "description": "Synthetic listing for benchmarks.",
            "phone": f"{rng.randint(201, 989)}-555-01{rng.randint(0, 99):02d}",
            "sms": "",
            "website": "",
            "address": f"{rng.randint(1, 9999)} Benchmark St" if zip_code else "",
            "city": city,
            "state": state,
            "zip": zip_code,
            "latitude": latitude,
            "longitude": longitude,
            "service_area": service_area,
            "languages": "en;es" if rng.random() < 0.33 else "en",
            "hours": rng.choice(_HOURS),
            "confidential": "true" if rng.random() < 0.4 else "false",
            "populations": ";".join(rng.sample(NAMED_POPULATIONS, rng.choice((0, 0, 1, 2)))),
            "verified_at": (f"{rng.randint(2019, 2024)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
                            if stale else f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"),
            "active": "false" if rng.random() < 0.05 else "true",
        })
    return rows


def synthetic_csv(rows: list[dict[str, str]]) -> bytes:
    """Return the rows as a listings CSV file."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue().encode("utf-8")


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "median_ms": statistics.median(samples_ms),
        "p95_ms": cuts[94],
        "p99_ms": cuts[98],
        "max_ms": max(samples_ms),
        "mean_ms": statistics.fmean(samples_ms),
    }


def _queries(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    extra = random.Random(seed * 1000 + 13)  # noqa: S311 - the issue-13 extras, apart
    zips = _real_zips()
    queries = []
    for _ in range(count):
        roll = rng.random()
        zip_place = geography.lookup_zip(rng.choice(zips))
        place: Place | None = zip_place
        if roll >= 0.7:
            place = geography.city_place(zip_place.city, zip_place.state) or zip_place
        if roll >= 0.9:
            place = Place(kind="state", state=zip_place.state)
        category = rng.choice(_SURVIVOR_CATEGORIES)
        queries.append({
            "category": category,
            "place": place,
            "language": "es" if rng.random() < 0.3 else None,
            "population": rng.choice(NAMED_POPULATIONS) if rng.random() < 0.1 else None,
            "open_now": True if rng.random() < 0.1 else None,
            "offset": 3 if rng.random() < 0.15 else 0,
            "populations": (tuple(extra.sample(NAMED_POPULATIONS, extra.choice((1, 2))))
                            if extra.random() < 0.2 else ()),
            "sub_need": (extra.choice(SUB_NEEDS[category])
                         if category in SUB_NEEDS and extra.random() < 0.4 else ""),
            "prefer_open": extra.random() < 0.3,
        })
    return queries


def _load(session_factory, rows: list[dict[str, str]], chunk: int = 10_000) -> None:
    for start in range(0, len(rows), chunk):
        records = [validate_listing(row).record for row in rows[start : start + chunk]]
        with session_factory() as session:
            save_listings(session, [record for record in records if record is not None])
            session.commit()


def run_search_benchmark(database_url: str | None, listings: int, queries: int,
                         seed: int = 7) -> dict:
    """Time search() over `listings` synthetic listings; return median/p95/p99 in ms."""
    with scratch_database(database_url, prefix="harbor_bench_search") as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        _load(sessions, synthetic_listing_fields(listings, seed))
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        load_seconds = time.perf_counter() - started
        workload = _queries(queries, seed + 1)
        for query in workload[: min(100, len(workload))]:  # warm caches and the pool
            _timed_search(sessions, query)
        samples, cpu_samples, local_found, hits = [], [], 0, 0
        for query in workload:
            cpu_started = time.thread_time()
            elapsed, results = _timed_search(sessions, query)
            cpu_samples.append((time.thread_time() - cpu_started) * 1000)
            samples.append(elapsed * 1000)
            local_found += results.local_total > 0
            hits += len(results.hits)
        engine.dispose()
    return {
        "database": "postgresql" if database_url else "sqlite",
        "listings": listings,
        "queries": queries,
        **_percentiles(samples),
        # Thread CPU time leaves out the waits for a core on a shared machine (SQLite runs
        # in this thread; on PostgreSQL the server's share is not in it).
        **{f"cpu_{key}": value for key, value in _percentiles(cpu_samples).items()},
        "queries_with_local_results": local_found,
        "mean_hits_per_page": hits / max(len(workload), 1),
        "load_seconds": load_seconds,
    }


def _timed_search(sessions: Callable, query: dict):
    started = time.perf_counter()
    with sessions() as session:
        results = search(session, query["category"], query["place"],
                         language=query["language"], population=query["population"],
                         open_now=query["open_now"], offset=query["offset"],
                         populations=query["populations"], sub_need=query["sub_need"],
                         prefer_open=query["prefer_open"])
    return time.perf_counter() - started, results


def run_import_benchmark(database_url: str | None, rows: int, seed: int = 11) -> dict:
    """Time a whole-file CSV import of `rows` synthetic listings; return seconds and rows/s."""
    data = synthetic_csv(synthetic_listing_fields(rows, seed))
    with scratch_database(database_url, prefix="harbor_bench_import") as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        with sessions() as session:
            report = import_listings_csv(session, data, actor="bench", source_label="cli")
            session.commit()
        seconds = time.perf_counter() - started
        engine.dispose()
    if not report.ok:
        raise RuntimeError(f"synthetic import failed: {report.parsed.errors[:3]}")
    return {
        "database": "postgresql" if database_url else "sqlite",
        "rows": rows,
        "file_megabytes": len(data) / 1_000_000,
        "seconds": seconds,
        "rows_per_second": rows / seconds if seconds else 0.0,
        "listings_written": report.written,
    }
