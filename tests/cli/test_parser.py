"""The one parser: audit is check plus drills, with check's flags and defaults (a flag added to check reaches audit)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from tapguard.cli import check, main
from tapguard.cli.parser import build_parser


def test_audit_takes_every_flag_of_check_with_checks_defaults() -> None:
    parser = build_parser()
    checked, audited = vars(parser.parse_args(["check"])), vars(parser.parse_args(["audit"]))
    assert {k: v for k, v in checked.items() if k not in ("func", "command")}.items() <= audited.items()
    assert audited["no_drill"] is False and audited["keep_lab"] is False


def test_a_flag_added_to_check_works_in_audit(monkeypatch: pytest.MonkeyPatch, env_plans: dict[str, Path], tmp_path: Path) -> None:
    add, run = check.add_arguments, check.run
    seen: list[Any] = []

    def add_with_new_flag(p: argparse.ArgumentParser) -> None:
        add(p)
        p.add_argument("--brand-new", default="as check sets it")

    def run_reading_it(args: argparse.Namespace, drills: list[dict[str, Any]] | None = None) -> int:
        seen.append(args.brand_new)  # a new flag read as args.x, as check's code does
        return run(args, drills)

    monkeypatch.setattr(check, "add_arguments", add_with_new_flag)
    monkeypatch.setattr(check, "run", run_reading_it)
    plan = f"us-west-2={env_plans['us-west-2']}"
    assert main(["audit", "--no-drill", "--no-checkov", "--plan-json", plan, "us-west-2", "--out", str(tmp_path / "ev"), "-q"]) == 0
    assert seen == ["as check sets it"]
