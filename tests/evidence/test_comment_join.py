"""The PR comment joining several bundles' report.md: the worst verdict leads, each environment's table is whole or
left out with a note that says so."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tapguard.controls import PASS
from tapguard.controls.assessment import Assessment
from tapguard.evidence import markdown
from tests.evidence.scratch import scratch


def passing(run: Assessment) -> Assessment:
    envs = [dataclasses.replace(e, findings=[dataclasses.replace(f, status=PASS) for f in e.findings]) for e in run.environments]
    return dataclasses.replace(run, environments=envs)


@pytest.fixture
def reports(tmp_path: Path) -> list[str]:
    """Three bundles, one per environment: env00 and env02 pass, env01 fails."""
    run = scratch(tmp_path, environments=3, checkov=False).run
    good = passing(run)
    return [
        markdown.render(dataclasses.replace(good, environments=[good.environments[0]])),
        markdown.render(dataclasses.replace(run, environments=[run.environments[1]])),
        markdown.render(dataclasses.replace(good, environments=[good.environments[2]])),
    ]


def tables(text: str) -> list[int]:
    """The number of body rows of each controls table in a comment."""
    out = []
    for block in text.split(markdown.MATRIX_TITLE)[1:]:
        table = block.strip().split("\n\n")[0].splitlines()  # the table runs to the first blank line
        out.append(sum(1 for line in table[2:] if line.startswith("| ")))
    return out


def test_one_failing_bundle_makes_the_comment_fail_and_leads_it(reports: list[str]) -> None:
    assert [markdown.passed(r) for r in reports] == [True, False, True]
    text = markdown.comment(reports)
    lead = text.splitlines()[2]
    assert lead == "## tapguard: ❌ **FAIL** · 1 of 3 report(s) failed: `env01`"
    assert text.index("| env01 |") < text.index("| env00 |") < text.index("| env02 |"), "failing reports first"
    passed = markdown.comment([reports[0], reports[2]])
    assert passed.splitlines()[2] == "## tapguard: ✅ **PASS** · 2 report(s), all passed"
    assert markdown.comment(["no heading at all"]).splitlines()[2].startswith("## tapguard: ❌ **FAIL**"), "unknown is never a pass"


@pytest.mark.parametrize("limit", [65_000, 20_000, 12_000, 8_000])
def test_each_environment_table_is_whole_or_left_out_and_said_so(reports: list[str], limit: int) -> None:
    catalogue = len(re.findall(r"^\| [^|]+ \| \S+ .* \| [✅❌⚠️➖]+ \|$", reports[0], flags=re.M))
    assert catalogue >= 61
    text = markdown.comment(reports, limit=limit)
    assert len(text) <= limit
    kept = tables(text)
    assert all(rows == catalogue for rows in kept), f"a table was split: {kept}"
    left_out = text.count("left out to fit a PR comment")
    assert len(kept) + sum(1 for n in re.findall(r"\(([^)]*Controls by requirement[^)]*)\)", text)) == 3
    if len(kept) < 3:
        assert left_out and "Controls by requirement" in text.split("left out to fit a PR comment", 1)[1].split("\n")[0]
