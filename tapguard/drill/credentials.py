"""Credentials the probe's clients take from Secrets Manager, as the stacks' services must.

A client caches the secret's AWSCURRENT value and, on an authentication failure, reads it again
(the documented retry). Right after a rotation's finishSecret there is a moment in which the
server refuses the old token while AWSCURRENT may still be read as the old version by a
client that fetched it a moment before: the retry then tries AWSPENDING, which holds the new
token until the stage moves. Each refresh is counted; the value is never logged.
"""

from __future__ import annotations

import json
import threading
from typing import Any


class SecretCredential:
    def __init__(self, client: Any, secret_id: str, field: str = "token") -> None:
        self.client = client
        self.secret_id = secret_id
        self.field = field
        self._lock = threading.Lock()
        self._value: str | None = None
        self.refreshes = 0

    def _read(self, stage: str) -> str | None:
        try:
            raw = self.client.get_secret_value(SecretId=self.secret_id, VersionStage=stage)["SecretString"]
        except Exception:  # no such stage (no rotation in progress) or the endpoint is briefly unreachable
            return None
        value = json.loads(raw).get(self.field)
        return str(value) if value else None

    def current(self) -> str:
        with self._lock:
            if self._value is None:
                self._value = self._read("AWSCURRENT")
            if self._value is None:
                raise RuntimeError(f"secret {self.secret_id} has no AWSCURRENT {self.field}")
            return self._value

    def refresh(self, refused: str) -> list[str]:
        """After `refused` failed authentication: the values worth trying, newest knowledge first."""
        with self._lock:
            self.refreshes += 1
            fresh = [v for v in (self._read("AWSCURRENT"), self._read("AWSPENDING")) if v and v != refused]
            if fresh:
                self._value = fresh[0]
            return fresh


class FixedCredential(SecretCredential):
    """A client that read its credential once and never re-reads it: what a rotation must not meet in production."""

    def __init__(self, value: str) -> None:
        super().__init__(None, "", "")
        self._value = value

    def refresh(self, refused: str) -> list[str]:
        self.refreshes += 1
        return []
