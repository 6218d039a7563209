"""drills.json (format tapguard.drills/1), declared: every field of a drill journal that tapguard reads.

The report writers (evidence/markdown.py, html.py with templates/drills.html.j2, timeline.py,
junit.py) and the verdict read these fields; anything else a journal carries is kept as it is.
A journal passes only when `verdict.passed` is the boolean true (controls.assessment.drill_passed).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError

from tapguard.foundation.errors import TapguardError
from tapguard.foundation.schema import Table, expecting, one_line

MAX_BUCKETS = 1_000_000  # 100 ms buckets: 27 hours of probe; past this the SVG is no longer a picture
MAX_DRILLS = 10_000

Number = Annotated[float, Field(allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]
Seconds = Number | None


class SteadyAfter(Table):
    """The settle window that proved (or failed to prove) steady state after recovery."""

    open = True
    met: bool | None = None
    since_s: Seconds = None
    window_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class Verdict(Table):
    open = True
    passed: bool
    reasons: list[str] = []
    downtime_s: Seconds = None
    max_downtime_s: Seconds = None
    time_to_steady_s: Seconds = None
    time_to_detect_s: Seconds = None
    time_to_promote_s: Seconds = None
    acknowledged: Count | None = None
    lost: Count | None = None
    p99_ms: dict[str, Seconds] = {}
    errors_by_class: dict[str, Count] = {}
    steady_after: SteadyAfter | None = None


class Timeline(Table):
    """Per bucket of `bucket_ms`: acknowledged writes, failed attempts, p99 latency (null: no write succeeded)."""

    open = True
    bucket_ms: Annotated[float, Field(gt=0, le=86_400_000, allow_inf_nan=False)] = 100
    t0: Number = 0.0
    ok: Annotated[list[Count], Field(max_length=MAX_BUCKETS)] = []
    fail: Annotated[list[Count], Field(max_length=MAX_BUCKETS)] = []
    p99_ms: Annotated[list[Annotated[float, Field(ge=0, allow_inf_nan=False)] | None], Field(max_length=MAX_BUCKETS)] = []


class ActivityName(Table):
    open = True
    name: str


class Activity(Table):
    open = True
    activity: ActivityName
    start: str | None = None
    end: str | None = None
    status: str | None = None


class Experiment(Table):
    open = True
    target: Any = None  # a description of the target (an object), shown as it is (escaped)
    component: str | None = None
    rate_per_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


class Journal(Table):
    open = True
    title: str = ""
    component: str | None = None
    start: str | None = None
    end: str | None = None
    status: str | None = None
    experiment: Experiment = Experiment()
    verdict: Verdict
    timeline: Timeline | None = None
    marks: dict[str, Number] = {}
    run: list[Activity] = []
    rollbacks: list[Activity] = []


class DrillsFile(Table):
    open = True
    format: Annotated[str, expecting("a format name such as tapguard.drills/1")] | None = None
    drills: Annotated[list[Journal], Field(max_length=MAX_DRILLS)]


def validate(data: Any, label: str) -> list[dict[str, Any]]:
    """The journals of a drills.json, each checked against the declared schema (the dicts themselves are kept)."""
    if not isinstance(data, dict):
        raise TapguardError(f"{label}: expected an object with a 'drills' list (the drills.json of a drill bundle)")
    try:
        DrillsFile.model_validate(data)
    except ValidationError as exc:
        raise one_line(exc, label) from None
    return list(data["drills"])
