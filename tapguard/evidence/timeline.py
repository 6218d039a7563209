"""Inline SVG of a drill's probe timeline: successes and failures per 100 ms, latency, and event marks."""

from __future__ import annotations

import html
from typing import Any

WIDTH, HEIGHT, PAD = 1100, 270, 44
MARK_COLOURS = {"inject": "#cf222e", "detect": "#bf8700", "promote": "#8250df", "recover": "#1a7f37"}


def svg(timeline: dict[str, Any], marks: dict[str, float]) -> str:
    """timeline = {"bucket_ms": 100, "t0": seconds, "ok": [...], "fail": [...], "p99_ms": [...]} (one entry per bucket)."""
    ok, fail, lat = timeline.get("ok", []), timeline.get("fail", []), timeline.get("p99_ms", [])
    n = max(len(ok), 1)
    bucket_s = timeline.get("bucket_ms", 100) / 1000
    peak = max([a + b for a, b in zip(ok, fail, strict=False)] + [1])
    lat_peak = max([x for x in lat if x is not None] + [1])
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    bar = plot_w / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMinYMin meet" '
        f'role="img" aria-label="probe timeline" style="background:#fff;border:1px solid #d0d7de;width:100%;height:auto">'
    ]
    for i, (good, bad) in enumerate(zip(ok, fail, strict=False)):
        x = PAD + i * bar
        h_ok = plot_h * good / peak
        h_bad = plot_h * bad / peak
        if good:
            parts.append(
                f'<rect x="{x:.1f}" y="{PAD + plot_h - h_ok:.1f}" width="{max(bar, 0.5):.1f}" height="{h_ok:.1f}" fill="#2da44e"/>'
            )
        if bad:
            parts.append(
                f'<rect x="{x:.1f}" y="{PAD + plot_h - h_ok - h_bad:.1f}" width="{max(bar, 0.5):.1f}" height="{h_bad:.1f}" fill="#cf222e"/>'
            )
    # the latency line breaks where no write succeeded: no line is drawn across a gap
    segments: list[list[str]] = [[]]
    for i, v in enumerate(lat):
        if v is None:
            segments.append([])
            continue
        segments[-1].append(f"{PAD + (i + 0.5) * bar:.1f},{PAD + plot_h - plot_h * v / lat_peak:.1f}")
    for points in segments:
        if len(points) > 1:
            parts.append(f'<polyline fill="none" stroke="#0969da" stroke-width="1.2" points="{" ".join(points)}"/>')
    for k, (name, at) in enumerate(sorted(marks.items(), key=lambda kv: kv[1])):
        x = PAD + (at - timeline.get("t0", 0)) / bucket_s * bar
        colour = MARK_COLOURS.get(name, "#57606a")
        label_y = PAD - 8 + (k % 2) * 12  # alternate heights so close marks stay readable
        parts.append(f'<line x1="{x:.1f}" y1="{PAD - 5}" x2="{x:.1f}" y2="{PAD + plot_h}" stroke="{colour}" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{x + 3:.1f}" y="{label_y}" font-size="11" fill="{colour}">{html.escape(name)}</text>')
    seconds = n * bucket_s
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 12}" font-size="11" fill="#57606a">0 s</text>')
    parts.append(f'<text x="{WIDTH - PAD - 40}" y="{HEIGHT - 12}" font-size="11" fill="#57606a">{seconds:.1f} s</text>')
    parts.append(
        f'<text x="{PAD}" y="{PAD - 22}" font-size="11" fill="#57606a">green: acknowledged writes / 100 ms (peak {peak}) · red: failed attempts · '
        f"blue: p99 latency (peak {lat_peak:.0f} ms)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
