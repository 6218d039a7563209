"""What a drill is asked to do: the load and the limits (the fault belongs to the target: targets/base.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DrillSettings:
    rate: float = 100_000 / 60  # 100,000 transactions per minute
    connections: int = 8
    steady_seconds: float = 5.0  # the window that must be at steady state before any fault
    warmup_timeout: float = 20.0  # how long the probe may take to reach a whole steady window before the drill aborts
    settle_seconds: float = 3.0  # the window that must be at steady state after recovery (and after the fault ended)
    steady_timeout: float = 30.0  # how long after recovery the service may take to be back to steady state
    max_downtime: float = 30.0
    recovery_timeout: float = 90.0
    attempt_timeout: float = 2.0
    require_replica_ack: bool = False  # fail when any write was acknowledged without a replica's confirmation
