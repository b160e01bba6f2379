"""Charts of the outputs tables, drawn on the server as SVG by pygal.

Each chart draws one series (one colour: nothing is told by colour alone), with its values
printed on the bars and its categories named on the axis; the page shows it as an image whose
text alternative points to the table beside it, which holds the same numbers. An SVG shown as
an image runs no script, and prints as sharply as the page. Suppressed small numbers are left
out of the drawing (the table says "<5").

A chart's drawing is a pure function of its kind, size, words and numbers, and pygal takes
about 8 ms a chart: the drawn images are kept in a bounded least-recently-used cache of each
process (:func:`_drawn`, keyed by all of them), so that the page drawn again for the same
figures (most views of it: the facts change once a day) costs a dictionary lookup.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

import pygal
from pygal.style import Style

from .csv import Cell
from .outputs import Outputs, Table

#: GOV.UK light blue bars (near-black text on them or on white passes WCAG AA contrast),
#: text in the page's colours, a readable size.
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#0b0c0c",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    colors=("#5694ca",),
    font_family="arial, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    title_font_size=18,
    # pygal's default (64) overflows the chart: "Nothing to draw here" ran off both sides.
    no_data_font_size=18,
    opacity=1,
    opacity_hover=1,
)


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its image (a ``data:`` URL) and its text alternative."""

    table: str
    title: str
    source: str
    alt: str


def _number(cell: Cell) -> float | None:
    return float(cell) if isinstance(cell, int | float) and not isinstance(cell, bool) else None


#: How many drawn charts a process keeps (a page has five; each is 10-30 kB).
CACHED = 256

#: The kinds of chart the page draws, by name (the cache's key holds the name).
KINDS: dict[str, type[pygal.graph.graph.Graph]] = {
    "bar": pygal.Bar,
    "line": pygal.Line,
    "horizontal": pygal.HorizontalBar,
}


@lru_cache(maxsize=CACHED)
def _drawn(
    kind: str,
    options: tuple[tuple[str, object], ...],
    title: str,
    labels: tuple[str, ...],
    values: tuple[float | None, ...],
) -> str:
    """The chart as a ``data:`` URL: drawn once for the same kind, options, words and
    numbers."""
    chart = KINDS[kind](**_options(), **dict(options))
    chart.x_labels = list(labels)
    chart.add(title, list(values))
    svg = chart.render(is_unicode=True).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _draw(
    kind: str,
    key: str,
    title: str,
    labels: list[str],
    values: list[Cell],
    **options: object,
) -> Chart:
    if kind == "horizontal":
        # Drawn from the bottom up: reversed, so that it reads top down as its table does.
        labels, values = labels[::-1], values[::-1]
    source = _drawn(
        kind,
        tuple(sorted(options.items())),
        title,
        tuple(labels),
        tuple(_number(v) for v in values),
    )
    alt = f"{title}: a chart of the numbers in the table that follows it."
    return Chart(key, title, source, alt)


def _options() -> dict[str, object]:
    return {
        "js": [],
        "style": STYLE,
        "show_legend": False,
        "print_values": True,
        "print_values_position": "top",
        "width": 760,
        "margin": 16,
        "disable_xml_declaration": True,
        "show_y_guides": True,
        "print_zeroes": True,
        "no_data_text": "Nothing to draw here: see the table",
    }


def _column(table: Table, index: int) -> list[Cell]:
    return [row[index] for row in table.rows]


def _total(table: Table) -> tuple[list[str], list[Cell]]:
    """Each column's total over the rows (a column with a suppressed cell is not drawn)."""
    labels: list[str] = []
    values: list[Cell] = []
    for index, name in enumerate(table.columns[1:], start=1):
        cells = _column(table, index)
        numbers = [_number(cell) for cell in cells]
        labels.append(name)
        values.append(
            None if any(n is None for n in numbers) else int(sum(n or 0 for n in numbers))
        )
    return labels, values


def charts(found: Outputs) -> dict[str, Chart]:
    """The page's charts, by the key of the table each one draws."""
    drawn: dict[str, Chart] = {}
    activity = found.table("activity")
    months = [str(row[0]) for row in activity.rows]
    drawn["activity"] = _draw(
        "bar",
        "activity",
        "Assessments submitted, by month",
        months,
        _column(activity, 2),
        height=320,
        x_label_rotation=30,
    )
    drawn["community"] = _draw(
        "line",
        "community",
        "Community route, % of submitted, by month",
        months,
        _column(activity, 3),
        height=300,
        x_label_rotation=30,
        range=(0, 100),
        dots_size=4,
    )
    for key, title in (
        ("routes", "Assessments submitted by route"),
        ("priorities", "Assessments submitted by priority"),
    ):
        labels, values = _total(found.table(key))
        drawn[key] = _draw("horizontal", key, title, labels, values, height=280)
    referrals = found.table("referrals")
    if referrals.rows:
        drawn["referrals"] = _draw(
            "horizontal",
            "referrals",
            "Referrals made, by service",
            [str(row[0]) for row in referrals.rows],
            _column(referrals, 2),
            height=120 + 40 * len(referrals.rows),
        )
    return drawn
