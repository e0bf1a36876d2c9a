"""Small HTML and SVG pieces drawn from values: compact tables and score charts. Pure.

Used by the notebook views (``_repr_html_`` of ``Dataset``, ``Experiment``, ``Comparison``)
and by the server's pages. Standard library only (no template engine), so a notebook needs
nothing the client does not already have. Every value is escaped (``html.escape``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["COLORS", "histogram", "score_chart", "score_charts", "short_json", "table"]

#: Fill colours of experiment A and B in the charts (and the pages' legend).
COLORS = ("#4f6bd8", "#e07b39")
_BINS = 10
_W, _H = 360, 170
_LEFT, _RIGHT, _TOP, _BOTTOM = 34, 10, 30, 28


def short_json(value: Any, limit: int = 120) -> str:
    """``value`` as compact JSON text, cut to ``limit`` characters (``…`` marks a cut)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "") -> str:
    """A compact HTML table; cells are shown as text (``str``, else short JSON), escaped."""
    out = ['<table class="datasync">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>")
    out.append("</thead><tbody>")
    for row in rows:
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.4g}"
    return short_json(value)


def histogram(values: Sequence[float], low: float, high: float, bins: int = _BINS) -> list[int]:
    """Counts of ``values`` in ``bins`` equal bins over ``[low, high]`` (``high`` in the last)."""
    counts = [0] * bins
    span = high - low
    for value in values:
        index = 0 if span <= 0 else int((value - low) / span * bins)
        counts[min(max(index, 0), bins - 1)] += 1
    return counts


def score_chart(
    name: str, a: Sequence[float], b: Sequence[float], labels: tuple[str, str] = ("A", "B")
) -> str:
    """An inline SVG of one evaluator's score distributions in experiments A and B: a
    histogram of each (side by side per bin) and each mean as a dashed line."""
    everything = [*a, *b]
    low = min([0.0, *everything])
    high = max([1.0, *everything])
    counts = (histogram(a, low, high), histogram(b, low, high))
    peak = max([1, *counts[0], *counts[1]])
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    bin_w = plot_w / _BINS

    def x_of(score: float) -> float:
        return _LEFT + (score - low) / (high - low) * plot_w

    title = f"{name}: score distribution, {labels[0]} vs {labels[1]}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="score-chart" viewBox="0 0 {_W} {_H}"'
        f' width="{_W}" height="{_H}" role="img" aria-label="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title>",
        f'<text x="{_LEFT}" y="14" font-size="12" font-weight="bold">{html.escape(name)}</text>',
    ]
    for side, (label, color) in enumerate(zip(labels, COLORS, strict=True)):
        key_x = _W - _RIGHT - 150 + side * 75
        parts.append(f'<rect x="{key_x}" y="5" width="10" height="10" fill="{color}"/>')
        text = html.escape(short_json(label, 10))
        parts.append(f'<text x="{key_x + 14}" y="14" font-size="11">{text}</text>')
    base = _TOP + plot_h
    parts.append(
        f'<line x1="{_LEFT}" y1="{base}" x2="{_LEFT + plot_w}" y2="{base}" stroke="#888"/>'
    )
    parts.append(
        f'<text x="{_LEFT - 4}" y="{_TOP + 8}" font-size="10" text-anchor="end">{peak}</text>'
    )
    parts.append(f'<text x="{_LEFT - 4}" y="{base}" font-size="10" text-anchor="end">0</text>')
    for side, color in enumerate(COLORS):
        for i, count in enumerate(counts[side]):
            if not count:
                continue
            height = count / peak * plot_h
            x = _LEFT + i * bin_w + 1 + side * (bin_w - 2) / 2
            lo, hi = low + i * (high - low) / _BINS, low + (i + 1) * (high - low) / _BINS
            tip = f"{html.escape(labels[side])}: {count} in [{lo:.3g}, {hi:.3g}]"
            parts.append(
                f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{(bin_w - 2) / 2:.1f}"'
                f' height="{height:.1f}" fill="{color}"><title>{tip}</title></rect>'
            )
    for side, (values, color) in enumerate(zip((a, b), COLORS, strict=True)):
        if values:
            mean = sum(values) / len(values)
            x = x_of(mean)
            parts.append(
                f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{base}" stroke="{color}"'
                f' stroke-dasharray="4 3" stroke-width="2"><title>mean {html.escape(labels[side])}:'
                f" {mean:.4g}</title></line>"
            )
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<text x="{x_of(tick):.1f}" y="{base + 14}" font-size="10" text-anchor="middle">'
            f"{tick:.3g}</text>"
        )
    parts.append(
        f'<text x="{_LEFT + plot_w / 2}" y="{_H - 2}" font-size="10" text-anchor="middle">'
        "score (bars: examples per bin; dashed: mean)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def score_charts(
    scores: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    labels: tuple[str, str] = ("A", "B"),
) -> str:
    """One :func:`score_chart` per evaluator, by name."""
    return "".join(score_chart(name, a, b, labels) for name, (a, b) in sorted(scores.items()))
