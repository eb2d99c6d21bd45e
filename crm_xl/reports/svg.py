"""Charts as inline SVG for the HTML summary: the file stays one self-contained page that mails well
(no scripts, no images to attach), and every browser and mail client draws it the same way."""
from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 34, 46
COLOURS = ("#9DC3E6", "#1F4E78")  # last month light, this month dark


def _ticks(top: float) -> list[float]:
    """Round gridline values from 0 to the first one at or above `top` (three to six of them)."""
    if top <= 0:
        return [0.0]
    step = 10 ** math.floor(math.log10(top))
    while top / step < 2:
        step /= 2
    while top / step > 5:
        step *= 2
    return [step * i for i in range(math.ceil(top / step) + 1)]


def _number(value: float) -> str:
    """An axis number short enough to fit: 1,200M rather than 1,200,000,000."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.0f}M"
    return f"{value:,.0f}"


def _frame(title: str, top: float) -> tuple[list[str], float]:
    inner = HEIGHT - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
             f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold" fill="#1F4E78">{escape(title)}</text>']
    ceiling = _ticks(top)[-1] or 1
    for tick in _ticks(top):
        y = TOP + inner - inner * tick / ceiling
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#E0E0E0"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#595959">{_number(tick)}</text>')
    return parts, ceiling


def columns(title: str, labels: list[str], series: list[tuple[str, list[float]]]) -> str:
    """Grouped columns: one group per label, one column per series (e.g. last month, this month)."""
    values = [v or 0 for _, vs in series for v in vs]
    parts, ceiling = _frame(title, max(values, default=0))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = inner_w / max(len(labels), 1)
    bar = group * 0.7 / max(len(series), 1)
    for i, label in enumerate(labels):
        x0 = LEFT + i * group + group * 0.15
        for j, (name, vs) in enumerate(series):
            v = vs[i] or 0
            h = inner_h * v / ceiling
            colour = COLOURS[-1] if len(series) == 1 else COLOURS[j % len(COLOURS)]
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{TOP + inner_h - h:.1f}" width="{bar - 1:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} {escape(str(label))}: {v:,.0f}'
                         f'</title></rect>')
        parts.append(f'<text x="{x0 + group * 0.35:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                     f'fill="#222">{escape(str(label))}</text>')
    if len(series) > 1:
        for j, (name, _) in enumerate(series):
            x = WIDTH - RIGHT - 170 + j * 90
            parts.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{COLOURS[j % len(COLOURS)]}"/>'
                         f'<text x="{x + 14}" y="17" fill="#222">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line(title: str, labels: list[str], values: list[float]) -> str:
    """One line over the labels (months), with a dot on each value."""
    parts, ceiling = _frame(title, max((v or 0 for v in values), default=0))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(labels) - 1, 1)
    points = [(LEFT + i * step, TOP + inner_h - inner_h * (v or 0) / ceiling) for i, v in enumerate(values)]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[-1]}" stroke-width="2"/>')
    for (x, y), label, v in zip(points, labels, values):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[-1]}"><title>{escape(str(label))}: '
                     f'{(v or 0):,.0f}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" fill="#222">'
                     f'{escape(str(label)[2:])}</text>')  # 2026-10 -> 26-10: twelve months fit
    parts.append("</svg>")
    return "".join(parts)
