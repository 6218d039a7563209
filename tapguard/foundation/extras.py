"""Optional extras: a command that needs one names it in one line instead of a traceback.

The base install plans, checks and writes evidence. The lab and the drills need the database clients
(`tapguard[drill]`), the checkov baseline needs checkov (`tapguard[scan]`), the test suites need pytest (`tapguard[test]`).
"""

from __future__ import annotations

from tapguard.foundation.errors import TapguardError

# top-level module -> the extra that installs it
PROVIDED_BY = {"psycopg": "drill", "psycopg_binary": "drill", "redis": "drill", "checkov": "scan", "pytest": "test"}


def missing_extra(exc: ModuleNotFoundError, command: str) -> TapguardError | None:
    """The one-line error for a module an extra provides; None for any other missing module (a real bug)."""
    module = (exc.name or "").split(".")[0]
    extra = PROVIDED_BY.get(module)
    if extra is None:
        return None
    return TapguardError(f"tapguard {command} needs {module}, which the base install leaves out: pip install 'tapguard[{extra}]'")
