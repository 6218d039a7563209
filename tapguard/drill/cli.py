"""`tapguard lab` and `tapguard drill` command registration."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    _ = sub, argparse
