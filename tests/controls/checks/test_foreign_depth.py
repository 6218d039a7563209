"""Depth on other teams' plans: of what checkov fails for PCI-relevant reasons on the committed foreign corpus
(tests/fixtures/foreign/*.plan.json, checkov's failures kept in checkov_pci_failures.json so checkov does not run
here), tapguard's own controls fail at least 98 %."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tapguard.controls import engine
from tapguard.planning import model

FOREIGN = Path(__file__).resolve().parents[2] / "fixtures" / "foreign"
CHECKOV = json.loads((FOREIGN / "checkov_pci_failures.json").read_text())
GOAL = 0.98


def matched(name: str) -> tuple[int, list[tuple[str, str]]]:
    """(checkov's PCI failures as address + control, the ones tapguard does not fail)."""
    catalogue = engine.catalogue()
    pci = {c.id for c in catalogue.values() if c.requirements}
    skipped = set(engine.profiles()[engine.GENERIC].skip)
    findings = engine.evaluate(name, model.load(FOREIGN / f"{name}.plan.json"))
    failing = {(f.address, f.control) for f in findings if f.status == engine.FAIL}
    failing_pci_address = {f.address for f in findings if f.status == engine.FAIL and f.control in pci}
    wanted = sorted({(r["address"], r["control"]) for r in CHECKOV[name] if r["control"] in pci})
    missed = [
        (address, control)
        for address, control in wanted
        # a control the generic profile does not run on foreign plans counts when a PCI control fails that address
        if (address, control) not in failing and not (control in skipped and address in failing_pci_address)
    ]
    return len(wanted), missed


def test_corpus_is_committed_whole() -> None:
    plans = {p.name.removesuffix(".plan.json") for p in FOREIGN.glob("*.plan.json")}
    assert plans == set(CHECKOV) and len(plans) >= 5
    assert all(p.stat().st_size < 300_000 for p in FOREIGN.glob("*.plan.json"))


def test_tapguard_fails_what_checkov_fails_for_pci() -> None:
    total, missed = 0, []
    for name in sorted(CHECKOV):
        wanted, lost = matched(name)
        total += wanted
        missed += [(name, *m) for m in lost]
    assert total >= 25
    assert (total - len(missed)) / total >= GOAL, missed


@pytest.mark.parametrize("name", sorted(CHECKOV))
def test_every_plan_has_pci_failures_to_match(name: str) -> None:
    wanted, _ = matched(name)
    assert wanted >= 2
