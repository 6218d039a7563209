"""The rotate fault on AWS: RotateSecret on the stack's secret, the rotation function the stack configured does the steps.

tapguard never sees the steps (the Lambda runs them); it asks for one rotation, waits with a
waiter of its own over DescribeSecret (Secrets Manager ships none) until the new version is
AWSCURRENT, then proves what a rotation must: the old credential refused, the new one accepted.
Credential values stay in memory; the journal holds version ids and yes/no answers only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from tapguard.drill.targets.rotation import rotation_findings
from tapguard.foundation.errors import TapguardError


def wait_rotated(client: Any, secret_id: str, version: str, delay: int = 5, max_attempts: int = 120) -> None:
    """Block until `version` of the secret carries AWSCURRENT (at most delay * max_attempts seconds)."""
    model = WaiterModel(
        {
            "version": 2,
            "waiters": {
                "SecretRotated": {
                    "operation": "DescribeSecret",
                    "delay": delay,
                    "maxAttempts": max_attempts,
                    "acceptors": [
                        {
                            "matcher": "path",
                            "argument": f"contains(VersionIdsToStages.\"{version}\" || `[]`, 'AWSCURRENT')",
                            "expected": True,
                            "state": "success",
                        },
                        {"matcher": "error", "expected": "ResourceNotFoundException", "state": "failure"},
                    ],
                }
            },
        }
    )
    create_waiter_with_client("SecretRotated", model, client).wait(SecretId=secret_id)


class AwsSecretRotation:
    """One RotateSecret of the secret the probe's clients read, judged by logging in with the old and the new value."""

    def __init__(self, client: Any, secret_id: str, field: str, accepts: Callable[[str], bool], delay: int = 5, max_attempts: int = 120):
        self.client = client
        self.secret_id = secret_id
        self.field = field
        self.accepts = accepts
        self.delay = delay
        self.max_attempts = max_attempts
        self.result: dict[str, Any] = {}

    def preconditions(self) -> list[str]:
        meta = self.client.describe_secret(SecretId=self.secret_id)
        problems = []
        if not meta.get("RotationEnabled"):
            problems.append(f"rotation is not enabled on secret {meta.get('Name', self.secret_id)}")
        stages = meta.get("VersionIdsToStages", {})
        pending = [v for v, s in stages.items() if "AWSPENDING" in s and "AWSCURRENT" not in s]
        if pending:
            problems.append("a rotation is already in progress (a version is AWSPENDING); let it finish or clear it first")
        return problems

    def _value(self, stage: str) -> tuple[str, str | None]:
        got = self.client.get_secret_value(SecretId=self.secret_id, VersionStage=stage)
        try:
            value = json.loads(got.get("SecretString") or "{}").get(self.field)
        except ValueError:
            raise TapguardError(f"secret {self.secret_id} is not JSON") from None
        return str(got["VersionId"]), (str(value) if value else None)

    def _check(self, credential: str | None) -> bool | None:
        if credential is None:
            return None
        try:
            return self.accepts(credential)
        except Exception:  # the service could not be reached to judge: unproven, not refused
            return None

    def run(self) -> dict[str, Any]:
        before, old = self._value("AWSCURRENT")
        version = str(self.client.rotate_secret(SecretId=self.secret_id, RotateImmediately=True)["VersionId"])
        error = None
        try:
            wait_rotated(self.client, self.secret_id, version, self.delay, self.max_attempts)
        except WaiterError as exc:
            reason = (exc.last_response or {}).get("Error", {}).get("Code", "timeout")
            error = f"version {version} did not become AWSCURRENT within {self.delay * self.max_attempts} s ({reason})"
        after, new = self._value("AWSCURRENT")
        old_ok, new_ok = self._check(old), self._check(new)
        self.result = {
            "completed": error is None,
            "error": error,
            "version": version,
            "awscurrent_moved": after == version and after != before,
            "old_refused": None if old_ok is None else not old_ok,  # None: unproven (listed below)
            "new_accepted": new_ok,
            "unproven": [name for name, ok in (("old credential", old_ok), ("new credential", new_ok)) if ok is None],
        }
        return self.result

    def findings(self, what: str) -> list[str]:
        problems = rotation_findings(self.result, what)
        if self.result.get("unproven"):
            problems.append(f"rotation: could not log in to judge the {' and the '.join(self.result['unproven'])}")
        return problems
