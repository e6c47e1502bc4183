"""Bar charts drawn on the server as inline SVG: no script, no outside file, no colour code.

A chart must read the same in greyscale, printed, or through a screen reader:
- one series per chart, so colour never carries meaning;
- every bar has its label on the left and its value written at its end;
- a withheld count ("<5") is a hatched, dashed-outline stub with "<5" written beside
  it, so it differs from a real bar by pattern and text, not by hue;
- the SVG is role="img" with a <title> and a <desc> that lists every value, linked
  by aria-labelledby/aria-describedby; the page puts the same data in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
ROW_HEIGHT = 28
BAR_HEIGHT = 18
TOP = 6
BOTTOM = 6
CHAR_WIDTH = 7.2  # average width of a 13px system-ui character, to size the label column
MAX_LABEL_CHARS = 40
VALUE_ROOM = 56  # room at the right for the value written after the longest bar
# Presentation attributes, not CSS alone, so the chart keeps its look when saved on its own.
INK = "#1b1f24"
BAR_FILL = "#0b4f6c"  # 9:1 against white
AXIS = "#4a5560"
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None when withheld) and the text written at its end."""

    label: str
    value: int | None
    text: str


def _shorten(label: str) -> str:
    if len(label) <= MAX_LABEL_CHARS:
        return label
    return label[: MAX_LABEL_CHARS - 1].rstrip() + "…"


def _description(bars: Sequence[Bar], withheld_note: str) -> str:
    parts = [f"{bar.label}: {bar.text}" for bar in bars]
    text = "; ".join(parts) + "."
    if any(bar.value is None for bar in bars):
        text += f" {withheld_note}"
    return text


def horizontal_bar_chart(
    *,
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    unit: str,
    withheld_limit: int = 5,
) -> Markup:
    """Return an accessible SVG chart: one horizontal bar per item, in the order given.

    `chart_id` must be unique on the page (it names the title, desc and pattern);
    `unit` ("messages") is spoken after each value; a withheld bar is a hatched stub as
    long as `withheld_limit - 1`, the most it can stand for.
    """
    chart_id = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in chart_id)
    withheld_note = (f"Counts below {withheld_limit} are withheld and shown as "
                     f"\u201c<{withheld_limit}\u201d (hatched bar).")
    label_width = min(MAX_LABEL_CHARS, max((len(bar.label) for bar in bars), default=4))
    label_room = round(label_width * CHAR_WIDTH) + 12
    plot_left = label_room
    plot_width = WIDTH - plot_left - VALUE_ROOM
    scale_max = max([withheld_limit] + [bar.value for bar in bars if bar.value is not None])
    height = TOP + BOTTOM + ROW_HEIGHT * max(len(bars), 1)

    title_id, desc_id, hatch_id = f"{chart_id}-title", f"{chart_id}-desc", f"{chart_id}-hatch"
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(_description(bars, withheld_note))}</desc>',
        "<defs>"
        f'<pattern id="{hatch_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BAR_FILL}" stroke-width="2.5"/>'
        "</pattern></defs>",
    ]
    if bars:
        # The axis: where every bar starts.
        parts.append(f'<line x1="{plot_left}" y1="{TOP - 2}" x2="{plot_left}" '
                     f'y2="{height - BOTTOM + 2}" stroke="{AXIS}" class="chart-axis"/>')
    else:
        parts.append(f'<text x="4" y="{TOP + ROW_HEIGHT / 2:.1f}" dominant-baseline="central" '
                     f'fill="{INK}" {FONT} class="chart-empty">No counts in this period.</text>')
    for index, bar in enumerate(bars):
        top = TOP + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        middle = top + BAR_HEIGHT / 2
        shown = bar.value if bar.value is not None else withheld_limit - 1
        length = max(2.0, plot_width * shown / scale_max)
        spoken = f"{bar.label}: {bar.text} {unit}"
        if bar.value is None:
            spoken += f" (fewer than {withheld_limit}, exact count withheld)"
        parts.append(f'<g class="chart-row"><title>{escape(spoken)}</title>')
        parts.append(
            f'<text x="{plot_left - 8}" y="{middle:.1f}" class="chart-label" '
            f'fill="{INK}" {FONT} text-anchor="end" dominant-baseline="central">'
            f"{escape(_shorten(bar.label))}</text>"
        )
        if bar.value is None:
            parts.append(
                f'<rect x="{plot_left}" y="{top:.1f}" width="{length:.1f}" '
                f'height="{BAR_HEIGHT}" fill="url(#{hatch_id})" stroke="{BAR_FILL}" '
                f'stroke-dasharray="4 2" class="chart-bar-withheld"/>'
            )
        else:
            parts.append(
                f'<rect x="{plot_left}" y="{top:.1f}" width="{length:.1f}" '
                f'height="{BAR_HEIGHT}" fill="{BAR_FILL}" class="chart-bar"/>'
            )
        parts.append(
            f'<text x="{plot_left + length + 6:.1f}" y="{middle:.1f}" class="chart-value" '
            f'fill="{INK}" {FONT} font-weight="700" dominant-baseline="central">'
            f"{escape(bar.text)}</text>"
        )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated string is escaped above
