"""The drill timeline SVG: axes with ticks and units, the catch-up burst and the after-steady-state window named."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tapguard.evidence.timeline import nice_ticks, svg


def test_nice_ticks_are_round_and_cover_the_top() -> None:
    assert nice_ticks(1667) == [0, 500, 1000, 1500, 2000]
    assert nice_ticks(0.8) == [0, 0.2, 0.4, 0.6, 0.8]
    assert nice_ticks(37.3, 10) == [0, 5, 10, 15, 20, 25, 30, 35, 40]
    assert nice_ticks(float("nan")) == [0.0, 1.0] and nice_ticks(0) == [0.0, 1.0]


def test_axes_burst_and_settle_window_are_drawn_and_labelled() -> None:
    # 10 s at 100 ms buckets: 170 writes/bucket (1,700/s) before, an outage from 3 s to 5 s, a burst, then steady
    ok = [170] * 30 + [0] * 20 + [400] * 5 + [167] * 45
    fail = [0] * 30 + [3] * 20 + [0] * 50
    lat = [4.0] * 30 + [None] * 20 + [30.0] * 5 + [5.0] * 45
    marks = {"inject": 3.0, "recover": 5.0, "steady": 6.0}
    out = svg({"bucket_ms": 100, "t0": 0.0, "ok": ok, "fail": fail, "p99_ms": lat}, marks, target_rate=1666.7, steady_window=(6.0, 9.0))
    ET.fromstring(out)  # well-formed
    texts = re.findall(r">([^<>]+)</text>", out)
    assert "seconds after the probe started" in texts and "writes/s" in texts and "p99 latency, ms" in texts
    assert {"0", "2", "4", "6", "8", "10"} <= set(texts)  # x ticks in seconds
    assert "4k" in texts or "4000" in texts  # the burst's 4,000 writes/s is on the rate scale
    assert any(t.startswith("catch-up burst") for t in texts)
    assert any(t.startswith("steady state after recovery (3 s window)") for t in texts)
    assert "target 1,667/s" in texts and "recover 5.0 s" in texts
    assert 'viewBox="0 0 1100 300"' in out and 'width="100%"' in out  # scales down on a narrow screen
