"""SVG charts drawn on the server from plain data: a time series line chart and a bar chart.

The charts are plain, accessible SVG (``role="img"``, a ``<title>`` and ``<desc>``, and a ``<title>`` per
point for hover text) so that they need no JavaScript and print well. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True, slots=True)
class Point:
    """One data point: ``label`` on the x axis (e.g. a date), ``value`` on the y axis, optional note."""

    label: str
    value: float
    note: str = ""


def _fmt(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    y_min: float | None = None,
    y_max: float | None = None,
    unit: str = "",
    width: int = 560,
    height: int = 180,
) -> Markup:
    """Draw a line chart of ``points`` in order.

    Args:
        points: the series, oldest first.
        title: what the chart shows (also read by screen readers).
        y_min: lower bound of the y axis; the smallest value when ``None``.
        y_max: upper bound of the y axis; the largest value when ``None``.
        unit: unit appended to axis labels (e.g. ``"%"``).
        width: width in CSS pixels.
        height: height in CSS pixels.

    Returns:
        SVG markup, safe to insert into a template.
    """
    left, right, top, bottom = 44, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [_open(width, height, title, _describe(points, unit))]
    if not points:
        parts.append(_empty(width, height))
        return Markup("".join(parts) + "</svg>")
    values = [p.value for p in points]
    low = min(values) if y_min is None else y_min
    high = max(values) if y_max is None else y_max
    if high == low:
        high = low + 1

    def x(i: int) -> float:
        return left + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    for fraction in (0.0, 0.5, 1.0):
        value = low + (high - low) * fraction
        yy = y(value)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">'
            f"{escape(_fmt(value) + unit)}</text>"
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(points))
    parts.append(f'<path class="series" d="{path}" fill="none"/>')
    for i, p in enumerate(points):
        tip = f"{p.label}: {_fmt(p.value)}{unit}" + (f" — {p.note}" if p.note else "")
        parts.append(
            f'<circle class="point" cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="3.5">'
            f"<title>{escape(tip)}</title></circle>"
        )
    for i in sorted({0, len(points) - 1}):
        anchor = "start" if i == 0 else "end"
        parts.append(
            f'<text class="axis" x="{x(i):.1f}" y="{height - 8}" text-anchor="{anchor}">'
            f"{escape(points[i].label)}</text>"
        )
    return Markup("".join(parts) + "</svg>")


def bar_chart(
    points: Sequence[Point], *, title: str, unit: str = "", width: int = 560, height: int = 180
) -> Markup:
    """Draw a bar chart with one bar per point (e.g. usage per day).

    Args:
        points: the bars, left to right.
        title: what the chart shows.
        unit: unit for labels.
        width: width in CSS pixels.
        height: height in CSS pixels.

    Returns:
        SVG markup, safe to insert into a template.
    """
    left, right, top, bottom = 44, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [_open(width, height, title, _describe(points, unit))]
    if not points:
        parts.append(_empty(width, height))
        return Markup("".join(parts) + "</svg>")
    high = max(max(p.value for p in points), 1)
    slot = plot_w / len(points)
    bar = max(slot * 0.7, 1)
    parts.append(
        f'<line class="grid" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
        f'<text class="axis" x="{left - 6}" y="{top + 4}" text-anchor="end">'
        f"{escape(_fmt(high) + unit)}</text>"
        f'<text class="axis" x="{left - 6}" y="{top + plot_h + 4}" text-anchor="end">0</text>'
    )
    for i, p in enumerate(points):
        h = p.value / high * plot_h
        parts.append(
            f'<rect class="bar" x="{left + i * slot + (slot - bar) / 2:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(f"{p.label}: {_fmt(p.value)}{unit}")}'
            "</title></rect>"
        )
    for i in sorted({0, len(points) - 1}):
        anchor = "start" if i == 0 else "end"
        xx = left + (i + (0 if i == 0 else 1)) * slot
        parts.append(
            f'<text class="axis" x="{xx:.1f}" y="{height - 8}" text-anchor="{anchor}">'
            f"{escape(points[i].label)}</text>"
        )
    return Markup("".join(parts) + "</svg>")


def _open(width: int, height: int, title: str, desc: str) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>"
    )


def _describe(points: Sequence[Point], unit: str) -> str:
    if not points:
        return "No data yet."
    values = [p.value for p in points]
    return (
        f"{len(points)} points from {points[0].label} to {points[-1].label}; "
        f"latest {_fmt(values[-1])}{unit}, lowest {_fmt(min(values))}{unit}, "
        f"highest {_fmt(max(values))}{unit}."
    )


def _empty(width: int, height: int) -> str:
    return f'<text class="axis" x="{width / 2}" y="{height / 2}" text-anchor="middle">No data yet</text>'
