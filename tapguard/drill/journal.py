"""The drill journal, shaped like chaostoolkit's: experiment, steady states, run activities, rollbacks."""

from __future__ import annotations

import datetime as dt
from typing import Any


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def new_journal(title: str, experiment: dict[str, Any]) -> dict[str, Any]:
    return {
        "chaoslib-version": None,
        "platform": "tapguard",
        "title": title,
        "experiment": experiment,
        "start": now_iso(),
        "status": "running",
        "steady_states": {},
        "run": [],
        "rollbacks": [],
    }


class Activity:
    """One entry of the journal's run: its own start, end, status and output."""

    def __init__(self, journal: dict[str, Any], name: str, kind: str = "action") -> None:
        self.entry: dict[str, Any] = {"activity": {"name": name, "type": kind}, "start": now_iso(), "status": "running"}
        journal["run"].append(self.entry)

    def done(self, status: str = "succeeded", output: Any = None) -> None:
        self.entry.update(end=now_iso(), status=status, output=output)
