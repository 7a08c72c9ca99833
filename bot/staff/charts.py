"""Charts of the statistics page: SVG drawn on the server by pygal and put inline in the page
(no script, no font, nothing fetched from elsewhere; pygal's own small config script is dropped,
the page's Content-Security-Policy would refuse it anyway)."""
from __future__ import annotations

import re
from collections.abc import Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

WIDTH, HEIGHT = 640, 300
STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1d2430", foreground_strong="#1d2430",
    foreground_subtle="#d5dbe3", opacity=".85", opacity_hover="1", transition="0s",
    font_family='system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
    title_font_size=17, label_font_size=12, major_label_font_size=12, legend_font_size=13, no_data_font_size=18,
    colors=("#1a5fa8", "#c89200", "#b00020", "#11562b", "#6b4ca8", "#0f8a8a", "#8a5a00", "#555f6d", "#d96b9b"),
)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _chart(kind, title: str, weeks: Sequence[str], no_data: str, series: int, **options):
    every = max(1, len(weeks) // 8)  # about eight week labels, whatever the range
    chart = kind(width=WIDTH, height=HEIGHT, explicit_size=False, js=[], disable_xml_declaration=True,
                 style=STYLE, show_legend=series > 1, legend_at_bottom=True, legend_at_bottom_columns=3,
                 truncate_legend=-1,
                 x_label_rotation=30, show_minor_x_labels=False, x_labels_major_every=every,
                 truncate_label=-1, print_values=False, no_data_text=no_data, margin=12, **options)
    chart.title = title
    chart.x_labels = [w.replace("-W", " W") for w in weeks]
    return chart


def svg(chart) -> Markup:
    drawn = chart.render(is_unicode=True)
    return Markup(_COMMENT.sub("", _SCRIPT.sub("", drawn)))  # pygal escapes the labels it draws


def count_ticks(highest: int) -> list[int]:
    """Whole numbers for a count axis: 0 to at least `highest`, about five steps."""
    step = max(1, -(-highest // 5))
    return list(range(0, max(highest, 1) + step, step))


def bars(title: str, weeks: Sequence[str], series: dict[str, Sequence[int | None]], no_data: str,
         stacked: bool = False) -> Markup:
    columns = [list(v) for v in series.values()]
    highest = max((sum(x or 0 for x in week) for week in zip(*columns, strict=True)), default=0) if stacked else max(
        (x or 0 for values in columns for x in values), default=0)
    ticks = {"y_labels": count_ticks(highest)} if series else {}  # pygal cannot place labels with no series
    chart = _chart(pygal.StackedBar if stacked else pygal.Bar, title, weeks, no_data, len(series), **ticks)
    for name, values in series.items():
        chart.add(name, list(values))
    return svg(chart)


def line(title: str, weeks: Sequence[str], series: dict[str, Sequence[float | None]], no_data: str,
         unit: str = "") -> Markup:
    options = {}
    if not unit:  # a count
        options["y_labels"] = count_ticks(max((x or 0 for v in series.values() for x in v), default=0))
    chart = _chart(pygal.Line, title, weeks, no_data, len(series), show_dots=True, dots_size=3,
                   allow_interruptions=True, value_formatter=lambda v: f"{v:g} {unit}".strip() if v is not None else "",
                   **options)
    for name, values in series.items():
        chart.add(name, list(values))
    return svg(chart)
