"""report.html at 600 px: words never break mid-word, wide tables scroll in their own box, no Python repr, and one
row per resource and attribute whichever controls report it."""

from __future__ import annotations

import re
from pathlib import Path

from tapguard.evidence import html
from tests.evidence.scratch import CLUSTER, scratch
from tests.evidence.test_outputs import DRILLS

TARGET = {"kind": "lab", "engine": "postgres", "nodes": [5432, 5433], "monitor": None, "fenced": True}


def styles(page: str) -> dict[str, str]:
    """selector -> declarations of the page's <style> block (outside @media)."""
    css = re.search(r"<style>(.*?)</style>", page, re.S)
    assert css
    body = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css[1])
    return {sel.strip(): decl for sels, decl in re.findall(r"([^{}]+)\{([^{}]*)\}", body) for sel in sels.split(",")}


def test_css_never_breaks_words_and_scrolls_wide_tables() -> None:
    page = html.drills_page([], "abc")
    rules = styles(page)
    assert "break-all" not in page and "word-break" not in page
    assert "overflow-wrap:anywhere" not in rules["body"] and "overflow-wrap" not in rules.get("td", "")
    assert "overflow-x:auto" in rules[".wide"]
    assert rules[".token"] == "overflow-wrap:break-word", "long tokens break only at their <wbr>, or when nothing else fits"
    assert "white-space:nowrap" in rules["td.pass"] and "white-space:nowrap" in rules["td.fail"]


def test_one_row_per_resource_and_attribute_with_every_control(tmp_path: Path) -> None:
    repo = scratch(tmp_path, environments=2, checkov=False)
    page = html.render(repo.run, [])
    tables = re.findall(r'<table class="findings">(.*?)</table>', page, re.S)
    assert len(tables) == 2
    for table in tables:
        rows = re.findall(r"<tr><td>(.*?)</tr>", table, re.S)
        addresses = [re.sub(r"<[^>]+>", "", r.split("</td>")[0]) for r in rows]
        assert len(addresses) == len(set(addresses)) == 3, addresses
        cluster = next(r for r in rows if re.sub(r"<[^>]+>", "", r.split("</td>")[0]) == CLUSTER)
        assert "<b>E1</b>, <b>E8</b>" in cluster and ">FAIL<" in cluster
        assert "module.<wbr>db.<wbr>aws_<wbr>rds_<wbr>cluster.<wbr>this" in cluster, "breakable at its separators only"
    assert page.count("<details open><summary") == 3, "one remediation per failing control (E1, E8, L1), not per row"


def test_no_python_repr_of_a_drill_target_or_a_missing_value() -> None:
    drill = {**DRILLS[0], "experiment": {"target": TARGET, "component": "postgres", "fault": "kill"}}
    page = html.drills_page([drill], "abc")
    assert "{&#39;" not in page and "&#39;kind&#39;" not in page and "None" not in page and "True" not in page
    line = re.search(r"<p>target (.*?)</p>", page, re.S)
    assert line
    text = re.sub(r"<[^>]+>", "", line[1])
    assert "engine postgres" in text and "nodes [5432, 5433]" in text and "monitor —" in text and "fenced true" in text
