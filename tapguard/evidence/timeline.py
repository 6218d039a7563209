"""Inline SVG of a drill's probe timeline: writes per second, failures, p99 latency, event marks.

Axes carry ticks and units (seconds after the probe started, writes/s on the left, p99 ms on
the right). Two things a reader would otherwise misread are drawn and named: the catch-up
burst after recovery (the probe writes the part of its schedule it could not write during
the outage, so the rate runs above target for a while), and the settle window in which the
steady state after recovery was judged.
"""

from __future__ import annotations

import html
import math
from typing import Any

from tapguard.evidence.text import field

WIDTH, HEIGHT = 1100, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 52, 40
MARK_COLOURS = {
    "inject": "#cf222e",
    "detect": "#bf8700",
    "promote": "#8250df",
    "recover": "#1a7f37",
    "fault_end": "#6e7781",
    "steady": "#0a3069",
}
BURST_RATIO = 1.2  # above this multiple of the target rate, a bucket after recovery is catch-up
GREY = "#57606a"
MAX_BARS = 2_000  # buckets drawn: a longer timeline is merged into wider buckets, so the SVG's size is bounded
MAX_MARKS = 50


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top` (1, 2, 2.5 or 5 times a power of ten apart)."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [round(i * step, 6) for i in range(math.ceil(top / step - 1e-9) + 1)]


def _merged(values: list[Any], size: int, combine: Any) -> list[Any]:
    """Consecutive buckets merged `size` at a time (counts summed, latency: the worst)."""
    return [combine(values[i : i + size]) for i in range(0, len(values), size)]


def _worst(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def _fmt(v: float) -> str:
    return f"{v:g}" if v < 10_000 else f"{v / 1000:g}k"


def svg(
    timeline: dict[str, Any],
    marks: dict[str, float],
    target_rate: float | None = None,
    steady_window: tuple[float, float] | None = None,
) -> str:
    """timeline = {"bucket_ms": 100, "t0": seconds, "ok": [...], "fail": [...], "p99_ms": [...]} (one entry per bucket).

    target_rate: writes/s the probe aims at (a dashed line, and the catch-up burst is judged against it);
    steady_window: (start, end) seconds of the window that proved the steady state after recovery.
    """
    ok, fail, lat = timeline.get("ok", []), timeline.get("fail", []), timeline.get("p99_ms", [])
    bucket_s = float(timeline.get("bucket_ms", 100)) / 1000
    merge = math.ceil(max(len(ok), len(fail), len(lat)) / MAX_BARS)
    if merge > 1:
        ok, fail, lat = _merged(ok, merge, sum), _merged(fail, merge, sum), _merged(lat, merge, _worst)
        bucket_s *= merge
    marks = dict(sorted(marks.items(), key=lambda kv: kv[1])[:MAX_MARKS])
    n = max(len(ok), 1)
    per_s = 1 / bucket_s
    seconds = n * bucket_s
    rate_top = max([(a + b) * per_s for a, b in zip(ok, fail, strict=False)] + [target_rate or 0, 1])
    rate_ticks = nice_ticks(rate_top)
    rate_max = rate_ticks[-1]
    lat_ticks = nice_ticks(max([x for x in lat if x is not None] + [1]))
    lat_max = lat_ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar = plot_w / n
    t0 = float(timeline.get("t0", 0))

    def x_at(t: float) -> float:
        return LEFT + (t - t0) / bucket_s * bar

    def y_rate(v: float) -> float:
        return TOP + plot_h - plot_h * v / rate_max

    def y_lat(v: float) -> float:
        return TOP + plot_h - plot_h * v / lat_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'role="img" aria-label="probe timeline" style="background:#fff;border:1px solid #d0d7de;max-width:{WIDTH}px">'
    ]
    # the settle window that proved steady state after recovery, behind everything
    if steady_window is not None:
        a, b = x_at(steady_window[0]), x_at(steady_window[1])
        parts.append(f'<rect x="{a:.1f}" y="{TOP}" width="{max(b - a, 1):.1f}" height="{plot_h}" fill="#ddf4ff"/>')
        parts.append(
            f'<text x="{a + 3:.1f}" y="{TOP + plot_h - 6}" font-size="10" fill="#0a3069">steady state after recovery ({steady_window[1] - steady_window[0]:.0f} s window)</text>'
        )
    # grid and axes
    for v in rate_ticks:
        y = y_rate(v)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#eaeef2"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" fill="#1a7f37" text-anchor="end">{_fmt(v)}</text>')
    for v in lat_ticks:
        parts.append(f'<text x="{LEFT + plot_w + 6}" y="{y_lat(v) + 4:.1f}" font-size="10" fill="#0969da">{_fmt(v)}</text>')
    step_s = nice_ticks(seconds, 10)
    for t in step_s:
        if t > seconds + 1e-9:
            break
        x = LEFT + t / bucket_s * bar
        parts.append(f'<line x1="{x:.1f}" y1="{TOP + plot_h}" x2="{x:.1f}" y2="{TOP + plot_h + 4}" stroke="{GREY}"/>')
        parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" font-size="10" fill="{GREY}" text-anchor="middle">{t:g}</text>')
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="{GREY}"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="{GREY}"/>'
        f'<line x1="{LEFT + plot_w}" y1="{TOP}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="{GREY}"/>'
    )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" font-size="11" fill="{GREY}" text-anchor="middle">seconds after the probe started</text>'
    )
    parts.append(
        f'<text transform="translate(12,{TOP + plot_h / 2:.1f}) rotate(-90)" font-size="11" fill="#1a7f37" text-anchor="middle">writes/s</text>'
    )
    parts.append(
        f'<text transform="translate({WIDTH - 8},{TOP + plot_h / 2:.1f}) rotate(90)" font-size="11" fill="#0969da" text-anchor="middle">p99 latency, ms</text>'
    )
    # bars: acknowledged (green) and failed (red) writes per second in each bucket
    for i, (good, bad) in enumerate(zip(ok, fail, strict=False)):
        x = LEFT + i * bar
        h_ok = plot_h * good * per_s / rate_max
        h_bad = plot_h * bad * per_s / rate_max
        if good:
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h_ok:.1f}" width="{max(bar, 0.5):.1f}" height="{h_ok:.1f}" fill="#2da44e"/>'
            )
        if bad:
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h_ok - h_bad:.1f}" width="{max(bar, 0.5):.1f}" height="{h_bad:.1f}" fill="#cf222e"/>'
            )
    if target_rate:
        y = y_rate(target_rate)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#1a7f37" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{LEFT + 4}" y="{y - 4:.1f}" font-size="10" fill="#1a7f37">target {target_rate:,.0f}/s</text>')
    # the catch-up burst: after recovery, buckets well above target are the schedule missed during the outage
    recover = marks.get("recover")
    if target_rate and recover is not None:
        first = max(0, int((recover - t0) / bucket_s))
        burst = [i for i in range(first, len(ok)) if ok[i] * per_s > target_rate * BURST_RATIO]
        if burst:
            end = burst[0]
            while end + 1 < len(ok) and ok[end + 1] * per_s > target_rate * BURST_RATIO:
                end += 1
            a, b = LEFT + burst[0] * bar, LEFT + (end + 1) * bar
            y = TOP + 12
            parts.append(f'<line x1="{a:.1f}" y1="{y:.1f}" x2="{b:.1f}" y2="{y:.1f}" stroke="#1a7f37" stroke-width="2"/>')
            parts.append(
                f'<text x="{a:.1f}" y="{y + 12:.1f}" font-size="10" fill="#1a7f37">catch-up burst: the probe writes the part of its schedule missed during the outage</text>'
            )
    # p99 latency: the line breaks where no write succeeded (no line across a gap)
    segments: list[list[str]] = [[]]
    for i, v in enumerate(lat):
        if v is None:
            segments.append([])
            continue
        segments[-1].append(f"{LEFT + (i + 0.5) * bar:.1f},{y_lat(v):.1f}")
    for points in segments:
        if len(points) > 1:
            parts.append(f'<polyline fill="none" stroke="#0969da" stroke-width="1.2" points="{" ".join(points)}"/>')
    for k, (name, at) in enumerate(sorted(marks.items(), key=lambda kv: kv[1])):
        x = x_at(at)
        colour = MARK_COLOURS.get(name, GREY)
        label_y = TOP - 8 - (k % 3) * 11  # staggered so close marks stay readable
        parts.append(f'<line x1="{x:.1f}" y1="{label_y + 2}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="{colour}" stroke-dasharray="4 3"/>')
        parts.append(
            f'<text x="{x + 3:.1f}" y="{label_y}" font-size="10" fill="{colour}">{html.escape(field(name.replace("_", " "), 80))} {at - t0:.1f} s</text>'
        )
    parts.append(
        f'<text x="{LEFT}" y="12" font-size="11" fill="{GREY}">green: acknowledged writes/s · red: failed attempts/s · '
        "blue: p99 latency (per 100 ms)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
