"""/admin/insights: anonymous counts for community partners, as charts, tables and CSV.

Open to advocates and admins (`staff_required`). The numbers come from
`resources_db.insights_queries`, which has already rounded every count to a multiple of
5 (consistent random rounding, "<5" for a count that rounds to 0); this module only
chooses the period, supplies the rounding's secret key, draws the charts and writes the
CSV, so the page and the export can never disagree about what is withheld.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import Blueprint, Response, abort, current_app, render_template, request
from markupsafe import Markup

from bot.database import get_session
from bot.staff.auth import staff_required
from bot.staff.svg_charts import Bar, horizontal_bar_chart
from resources_db import insights_queries as queries
from resources_db.insights_queries import InsightsPeriod, InsightsTable
from resources_db.listings_csv import neutralize_formula

blueprint = Blueprint("insights", __name__, url_prefix="/admin/insights")

PERIOD_LABELS = {"4": "Last 4 weeks", "12": "Last 12 weeks", "26": "Last 26 weeks",
                 "52": "Last 52 weeks", "all": "Every week on record"}
CHANNEL_LABELS = {"": "SMS and web chat", "sms": "SMS only", "chat": "Web chat only"}
# How many bars a chart draws; the table beside it always has every row.
CHART_LIMITS = {"needs-by-week": 52, "language-mix": 15}
DEFAULT_CHART_LIMIT = 15
CHART_UNITS = {"language-mix": "messages"}


@dataclass(frozen=True)
class Filters:
    """The period and channel chosen on the page (or in a CSV link)."""

    period: str
    channel: str

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read `period` and `channel` from query arguments; unknown values mean the default."""
        period = args.get("period", queries.DEFAULT_PERIOD)
        channel = args.get("channel", "")
        return cls(
            period=period if period in queries.PERIODS else queries.DEFAULT_PERIOD,
            channel=channel if channel in queries.CHANNELS else "",
        )

    def to_period(self, today: date) -> InsightsPeriod:
        """Return the weeks and channel these filters cover, counted back from `today`."""
        return InsightsPeriod.last_weeks(queries.PERIODS[self.period], today,
                                         channel=self.channel or None)

    def as_args(self) -> dict[str, str]:
        """Return the filters as query arguments (for the CSV links)."""
        args = {"period": self.period}
        if self.channel:
            args["channel"] = self.channel
        return args


@dataclass(frozen=True)
class InsightsSection:
    """One table of the page with its chart and a note when the chart shows only part."""

    table: InsightsTable
    chart: Markup
    chart_note: str


def _today() -> date:
    return datetime.now(UTC).date()


def rounding_key() -> bytes:
    """Return the secret the insights rounding is keyed by, derived from HASH_KEY.

    Server-side only: whoever held it could undo the rounding's randomness. It changes
    only when HASH_KEY does (which re-rounds every count once: rotate it only for cause).
    """
    return hmac.new(current_app.config["HASH_KEY"].encode(), b"harbor insights rounding v1",
                    hashlib.sha256).digest()


def chart_for(table: InsightsTable) -> tuple[Markup, str]:
    """Draw `table` as a bar chart; return it with a note when some rows are left out."""
    limit = CHART_LIMITS.get(table.slug, DEFAULT_CHART_LIMIT)
    rows = table.rows
    note = ""
    if len(rows) > limit:
        # Weeks: the latest ones; everything else is ranked, so the largest ones.
        rows = rows[-limit:] if table.slug == "needs-by-week" else rows[:limit]
        which = "latest" if table.slug == "needs-by-week" else "largest"
        note = (f"The chart shows the {limit} {which} of {len(table.rows)} rows; "
                "the table has them all.")
    bars = [Bar(label=row.label, value=row.count.value, text=row.count.text) for row in rows]
    chart = horizontal_bar_chart(
        chart_id=f"chart-{table.slug}",
        title=table.title,
        bars=bars,
        unit=CHART_UNITS.get(table.slug, "searches"),
        withheld_limit=queries.SMALL_COUNT_THRESHOLD,
    )
    return chart, note


def _period_text(period: InsightsPeriod) -> str:
    first = period.first_week.isoformat() if period.first_week else "the first week on record"
    return f"weeks starting {first} to {period.last_week.isoformat()}"


@blueprint.get("")
@staff_required
def insights_page():
    """Show needs by week, needs by county, unmet needs and the language mix."""
    filters = Filters.from_args(request.args)
    period = filters.to_period(_today())
    sections = []
    for table in queries.all_tables(get_session(), period, rounding_key()):
        chart, note = chart_for(table)
        sections.append(InsightsSection(table=table, chart=chart, chart_note=note))
    return render_template(
        "insights/insights.html",
        sections=sections,
        filters=filters,
        period_text=_period_text(period),
        period_labels=PERIOD_LABELS,
        channel_labels=CHANNEL_LABELS,
        threshold=queries.SMALL_COUNT_THRESHOLD,
        suppressed_text=queries.SUPPRESSED_TEXT,
    )


def table_as_csv(table: InsightsTable) -> str:
    """Return the table as CSV text: a header row, then the rows as the page shows them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.text_rows():
        writer.writerow([neutralize_formula(cell) for cell in row])
    return buffer.getvalue()


@blueprint.get("/<slug>.csv")
@staff_required
def insights_csv(slug: str):
    """Download one table as CSV, with the same period, channel and rounding as the page."""
    query = queries.TABLE_QUERIES.get(slug)
    if query is None:
        abort(404)
    filters = Filters.from_args(request.args)
    period = filters.to_period(_today())
    table = query(get_session(), period, rounding_key())
    first = period.first_week.isoformat() if period.first_week else "start"
    channel = f"-{filters.channel}" if filters.channel else ""
    filename = f"harbor-{slug}{channel}-{first}-to-{period.last_week.isoformat()}.csv"
    return Response(
        table_as_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
