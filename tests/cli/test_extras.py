"""Without an extra's modules, the commands that need them say which extra to add, in one line; the others run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# as if not installed: `import psycopg` raises ModuleNotFoundError
BLOCK = "import sys\nfor m in {modules!r}: sys.modules[m] = None\nfrom tapguard.cli import main\nsys.exit(main({argv!r}))\n"


def tapguard_without(modules: tuple[str, ...], argv: list[str]) -> subprocess.CompletedProcess[str]:
    code = BLOCK.format(modules=modules, argv=argv)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT, timeout=120)


@pytest.mark.parametrize(
    ("argv", "module"),
    [(["lab", "status"], "psycopg"), (["lab", "up"], "psycopg"), (["drill", "--target", "lab", "--dry-run"], "psycopg")],
)
def test_drill_commands_name_the_drill_extra(argv: list[str], module: str) -> None:
    done = tapguard_without(("psycopg", "redis"), argv)
    assert done.returncode == 2, done.stderr[-2000:]
    assert (done.stdout + done.stderr).strip() == (
        f"tapguard: error: tapguard {argv[0]} needs {module}, which the base install leaves out: pip install 'tapguard[drill]'"
    )
    assert "Traceback" not in done.stderr


def test_the_parser_and_every_help_need_no_extra() -> None:
    for argv in (["--help"], ["plan", "--help"], ["check", "--help"], ["drill", "--help"], ["lab", "--help"], ["audit", "--help"]):
        done = tapguard_without(("psycopg", "redis", "checkov", "pytest"), argv)
        assert done.returncode == 0, f"{argv}: {done.stderr[-2000:]}"


def test_a_missing_module_no_extra_provides_is_still_a_bug() -> None:
    """Only the extras' modules become the one-line hint; anything else missing stays a loud failure."""
    done = tapguard_without(("rich.table",), ["lab", "status"])
    assert done.returncode != 0 and "Traceback" in done.stderr
