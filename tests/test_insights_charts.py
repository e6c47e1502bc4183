"""Server-drawn SVG charts: valid, self-contained, and readable without colour or sight."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from bot.staff.svg_charts import Bar, horizontal_bar_chart

SVG = "{http://www.w3.org/2000/svg}"

BARS = [
    Bar("Linn County, IA", 40, "40"),
    Bar("Polk County, IA", 12, "12"),
    Bar("Johnson County, IA", None, "<5"),
]


def draw(bars=BARS, **options) -> ET.Element:
    markup = horizontal_bar_chart(chart_id=options.pop("chart_id", "chart-test"),
                                  title=options.pop("title", "Needs by county"),
                                  bars=bars, unit="messages", **options)
    return ET.fromstring(str(markup))


def texts(svg: ET.Element, css_class: str) -> list[str]:
    return [element.text for element in svg.iter(f"{SVG}text")
            if element.get("class") == css_class]


def rects(svg: ET.Element, css_class: str) -> list[ET.Element]:
    return [element for element in svg.iter(f"{SVG}rect") if element.get("class") == css_class]


def test_the_chart_is_one_image_with_a_title_and_a_description_of_every_value():
    svg = draw()
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == title.get("id") == "chart-test-title"
    assert svg.get("aria-describedby") == desc.get("id") == "chart-test-desc"
    assert title.text == "Needs by county"
    assert desc.text.startswith("Linn County, IA: 40; Polk County, IA: 12; Johnson County, IA: <5.")
    assert "withheld" in desc.text


def test_every_bar_has_its_label_and_its_value_written_beside_it():
    svg = draw()
    assert texts(svg, "chart-label") == ["Linn County, IA", "Polk County, IA",
                                         "Johnson County, IA"]
    assert texts(svg, "chart-value") == ["40", "12", "<5"]
    rows = [group for group in svg.iter(f"{SVG}g") if group.get("class") == "chart-row"]
    assert [row.find(f"{SVG}title").text for row in rows] == [
        "Linn County, IA: 40 messages",
        "Polk County, IA: 12 messages",
        "Johnson County, IA: <5 messages (fewer than 5, exact count withheld)",
    ]


def test_bar_lengths_are_proportional_to_the_values():
    svg = draw()
    first, second = (float(rect.get("width")) for rect in rects(svg, "chart-bar"))
    assert first / second == pytest.approx(40 / 12, rel=0.01)


def test_a_withheld_count_differs_by_pattern_and_text_not_by_colour():
    svg = draw()
    (withheld,) = rects(svg, "chart-bar-withheld")
    (solid, _) = rects(svg, "chart-bar")
    pattern = svg.find(f"{SVG}defs/{SVG}pattern")
    assert withheld.get("fill") == f"url(#{pattern.get('id')})"
    assert withheld.get("stroke-dasharray")
    # Same hue as a real bar: the hatching and the "<5" carry the meaning.
    assert pattern.find(f"{SVG}line").get("stroke") == solid.get("fill")
    # Drawn no longer than the largest count it may stand for (4 of the 40 scale).
    assert float(withheld.get("width")) == pytest.approx(
        float(solid.get("width")) * 4 / 40, rel=0.01)


def test_the_chart_needs_no_script_no_inline_style_and_nothing_from_elsewhere():
    markup = str(horizontal_bar_chart(chart_id="c", title="t", bars=BARS, unit="messages"))
    svg = ET.fromstring(markup)
    assert svg.find(f".//{SVG}script") is None
    assert all(element.get("style") is None for element in svg.iter())
    assert "http" not in markup.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert all(element.get("fill", "").startswith(("#", "url(#")) for element in svg.iter()
               if element.get("fill"))


def test_labels_are_escaped_and_long_ones_shortened_with_the_full_name_kept():
    long_name = "Children and teens: " + "Very Long Named County " * 3 + "<b>&"
    svg = draw([Bar(long_name, 9, "9"), Bar("<script>alert(1)</script>", 6, "6")])
    labels = texts(svg, "chart-label")
    assert labels[0].endswith("…") and len(labels[0]) <= 40
    assert labels[1] == "<script>alert(1)</script>"  # text, not markup: it parsed as text
    assert long_name in svg.find(f"{SVG}desc").text


def test_an_empty_chart_says_so():
    svg = draw([])
    assert texts(svg, "chart-empty") == ["No counts in this period."]
    assert rects(svg, "chart-bar") == []


def test_chart_ids_are_made_safe_and_keep_two_charts_apart():
    first = draw(chart_id='a" onload="x')
    second = draw(chart_id="needs-by-week")
    assert first.get("aria-labelledby") == "a--onload--x-title"
    assert second.find(f"{SVG}defs/{SVG}pattern").get("id") == "needs-by-week-hatch"
