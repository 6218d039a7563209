"""What a stack must satisfy beyond the catalogue (its profile): declared once, read by the config and the controls."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """What an environment must satisfy beyond the catalogue: its region, AZ count, services."""

    name: str
    region: str | None = None
    min_azs: int = 2
    nat_per_az: bool = True
    existing_secrets_only: bool = False
    requires: tuple[str, ...] | None = None  # None: every resource a control needs is required
    peak_requests_per_minute: int = 100_000
    max_rotation_days: int = 30
    min_log_retention_days: int = 365
    blue_green: bool = False
    max_switch_seconds: int = 30
    generic: bool = False  # a plan made elsewhere: no stack of this repo to hold it to
    skip: tuple[str, ...] = ()  # stack-specific controls that do not run under this profile
    trail_owner: str | None = None  # the stack of this account whose multi-region CloudTrail records this one; None: its own
