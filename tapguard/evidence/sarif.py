"""SARIF 2.1.0 for GitHub code scanning: one run per tool (tapguard, checkov), every result placed in the repository.

GitHub's limits hold whatever the number of environments: at most two runs (GitHub takes 20), the environment in
each result's properties, fingerprint and the run's `automationDetails.id`; at most 10 tags per rule (GitHub keeps
10); one result per environment + control + address + attribute, with a unique `partialFingerprints`.

Locations are relative to the git repository root (`%SRCROOT%`, found by walking up from the project root for
`.git`), so stacks under `infra/` point at `infra/environments/x/main.tf`. The level follows the verdict: a
failure is an `error` under a rule with `security-severity`; a finding that cannot be verified at plan (unknown,
needs plan) is a `note` under a companion rule `<id>/unverified` without `security-severity` (so it never raises a
High alert); a waived finding is not published (controls.json and report.html list it with its waiver).
`helpUri` is a public page per control: the config's `sarif_help_base`, else tapguard's documentation.
"""

from __future__ import annotations

import os
import re
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from tapguard.controls import Control
from tapguard.controls.assessment import Assessment
from tapguard.evidence import remediation
from tapguard.evidence.control_docs import anchor
from tapguard.evidence.published import (
    FAILED,
    UNVERIFIABLE,
    WAIVED,
    Item,
    ScannerItem,
    environments_label,
    items,
    locate,
    repository_root,
    root_main,
    scanner_items,
)
from tapguard.evidence.text import field

__all__ = ["locate", "render", "root_main"]
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
BASE_ID = "%SRCROOT%"
MAX_TAGS = 10  # GitHub keeps the first 10 tags of a rule
DOCS = "https://github.com/example-org/tapguard"  # the project's documentation when the installed metadata names none
CONTROLS_PAGE = "blob/main/docs/controls.md"
UNVERIFIED = "/unverified"


@cache
def documentation() -> str:
    """tapguard's own documentation page (the package's `Documentation` URL, without its fragment)."""
    try:
        urls: list[str] = metadata.metadata("tapguard").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation" and url.strip().startswith(("https://", "http://")):
            return url.strip().split("#")[0].rstrip("/")
    return DOCS


def help_uri(control_id: str, base: str | None) -> str:
    """A stable public page for one control: `base` with `{id}` replaced, else `base#control-<id>`."""
    slug = anchor(control_id)  # control-e1: the anchor docs/controls.md gives each control
    if base is None:
        return f"{documentation()}/{CONTROLS_PAGE}#{slug}"
    return base.replace("{id}", slug.removeprefix("control-")) if "{id}" in base else f"{base.split('#')[0]}#{slug}"


def tags(control: Control) -> list[str]:
    """At most MAX_TAGS: security (GitHub reads security-severity only then), PCI-DSS, the family, then requirements."""
    return ["security", "PCI-DSS", control.family, *(f"PCI-DSS-{r}" for r in control.requirements)][:MAX_TAGS]


def rule(control: Control, base: str | None) -> dict[str, Any]:
    reqs = ", ".join(control.requirements) or f"mission: {control.family}"
    help_md = (
        f"**PCI DSS v4.0.1 {reqs}** · severity {control.severity}\n\n**Risk.** {control.risk}\n\n"
        f"**Remediation.**\n\n{remediation.markdown(control.remediation)}\n"
    )
    return {
        "id": control.id,
        "name": re.sub(r"[^0-9A-Za-z]+", " ", control.title).title().replace(" ", ""),
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": control.risk},
        "help": {"text": f"PCI DSS {reqs}. Risk: {control.risk} Remediation: {control.remediation.strip()}", "markdown": help_md},
        "helpUri": help_uri(control.id, base),
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": tags(control),
            "security-severity": _score(control.severity),
            "precision": "high",
            "problem.severity": LEVEL.get(control.severity, "warning").replace("note", "recommendation"),
            "pci-dss": list(control.requirements),
        },
    }


def unverified_rule(control: Control, base: str | None) -> dict[str, Any]:
    """The companion of a control for what a plan cannot show: a note, no security tag, no security-severity."""
    return {
        "id": control.id + UNVERIFIED,
        "name": re.sub(r"[^0-9A-Za-z]+", " ", control.title).title().replace(" ", "") + "Unverified",
        "shortDescription": {"text": f"{control.title} (cannot be verified at plan)"},
        "fullDescription": {"text": f"The value this control judges is unknown until apply, or needs a plan. {control.risk}"},
        "help": {"text": f"Unverified at plan: {control.title}. Remediation: {control.remediation.strip()}"},
        "helpUri": help_uri(control.id, base),
        "defaultConfiguration": {"level": "note"},
        "properties": {
            "tags": ["compliance", "PCI-DSS", control.family, "unverified"],
            "precision": "medium",
            "pci-dss": list(control.requirements),
        },
    }


def _location(file: str | None, line: int, logical: str) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": logical, "kind": "resource"}]}
    if file:
        location["physicalLocation"] = {"artifactLocation": {"uri": file, "uriBaseId": BASE_ID}, "region": {"startLine": max(line, 1)}}
    return location


def _result(item: Item, rule_index: dict[str, int]) -> dict[str, Any]:
    f = item.finding
    rule_id = item.control_id + (UNVERIFIED if item.verdict == UNVERIFIABLE and item.control else "")
    text = (
        f"[{field(item.environment)}] {field(f.address)} {field(f.attribute)}".rstrip()
        + f": {field(f.message)} (actual {field(remediation.value(f.actual))}, expected {field(f.expected)})"
    )
    if item.verdict == UNVERIFIABLE:
        text += " — cannot be verified at plan; the gate counts it until it is known"
    if item.aggregate:
        text += " — a stack-wide finding, shown at the root module"
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "level": "error" if item.verdict == FAILED else "note",
        "message": {"text": text},
        "locations": [_location(item.file, item.line, field(f.address))],
        "partialFingerprints": {"tapguard/v1": item.fingerprint},
        "properties": {
            "environment": field(item.environment),
            "verdict": item.verdict,
            "address": field(f.address),
            "attribute": field(f.attribute),
        },
    }
    if rule_id in rule_index:
        result["ruleIndex"] = rule_index[rule_id]
    return result


def _base_ids(repo: Path) -> dict[str, Any]:
    return {BASE_ID: {"uri": repo.as_uri().rstrip("/") + "/", "description": {"text": "the root of the git repository"}}}


def _provenance() -> list[dict[str, Any]]:
    """The repository and commit, when the CI says which (GitHub Actions); never guessed."""
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if server and repo and sha:
        return [{"repositoryUri": f"{server.rstrip('/')}/{repo}", "revisionId": sha, "mappedTo": {"uriBaseId": BASE_ID}}]
    return []


def render(run: Assessment, root: Path) -> dict[str, Any]:
    import tapguard
    from tapguard.foundation import config

    base = config.load(root).sarif_help_base
    repo = repository_root(root)
    label = environments_label(e.name for e in run.environments)
    published = items(run, root)
    shown = [i for i in published if i.verdict != WAIVED]
    rules = [rule(c, base) for c in run.catalogue.values()]
    unverified = sorted({i.control_id for i in shown if i.verdict == UNVERIFIABLE and i.control})
    rules += [unverified_rule(run.catalogue[c], base) for c in unverified]
    index = {r["id"]: n for n, r in enumerate(rules)}
    driver = {
        "name": "tapguard",
        "version": tapguard.__version__,
        "semanticVersion": tapguard.__version__,
        "informationUri": documentation(),
        "rules": rules,
    }
    runs: list[dict[str, Any]] = [
        {
            "tool": {"driver": driver},
            "automationDetails": {"id": f"tapguard/{label}/"},
            "originalUriBaseIds": _base_ids(repo),
            "versionControlProvenance": _provenance(),
            "results": [_result(i, index) for i in shown],
            "properties": {
                "environments": [field(e.name) for e in run.environments],
                "waived": sum(1 for i in published if i.verdict == WAIVED),
            },
        }
    ]
    scanned = scanner_items(run, root)
    if scanned:
        runs.append(checkov_run(scanned, run, repo, label))
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}


def checkov_run(scanned: list[ScannerItem], run: Assessment, repo: Path, label: str) -> dict[str, Any]:
    """checkov's failures as a second tool: check id, address, file:line, mapped PCI requirement."""
    rules: dict[str, dict[str, Any]] = {}
    position: dict[str, int] = {}
    results = []
    for item in scanned:
        check_id = field(item.check_id) + (UNVERIFIED if item.verdict == UNVERIFIABLE else "")
        reqs = [field(r) for r in item.requirements]
        if check_id not in rules:
            properties: dict[str, Any] = {"tags": ["checkov", "PCI-DSS", *(f"PCI-DSS-{r}" for r in reqs)][:MAX_TAGS]}
            if item.verdict == FAILED:  # only a failure may raise a security alert
                properties["tags"] = ["security", *properties["tags"]][:MAX_TAGS]
                properties["security-severity"] = _score(item.severity)
            position[check_id] = len(rules)
            rules[check_id] = {
                "id": check_id,
                "name": check_id,
                "shortDescription": {"text": field(item.name)},
                "fullDescription": {"text": field(item.name)},
                "help": {
                    "text": f"{field(item.name)} (checkov {field(item.check_id)}); PCI DSS {', '.join(reqs) or 'no mapped requirement'}"
                },
                "defaultConfiguration": {"level": "error" if item.verdict == FAILED else "note"},
                "properties": {**properties, "tapguard-controls": [field(c) for c in item.controls]},
            }
        mapped = ", ".join(reqs) or "unmapped"
        status = "unverifiable at plan" if item.verdict == UNVERIFIABLE else "failed"
        results.append(
            {
                "ruleId": check_id,
                "ruleIndex": position[check_id],
                "level": "error" if item.verdict == FAILED else "note",
                "message": {"text": f"[{field(item.scope)}] {field(item.resource)}: {field(item.message)} ({status}; PCI DSS {mapped})"},
                "locations": [_location(item.file, item.line, field(item.resource))],
                "partialFingerprints": {"checkov/v1": item.fingerprint},
                "properties": {"scope": field(item.scope), "verdict": item.verdict},
            }
        )
    return {
        "tool": {"driver": {"name": "checkov", "informationUri": "https://www.checkov.io", "rules": list(rules.values())}},
        "automationDetails": {"id": f"tapguard-checkov/{label}/"},
        "originalUriBaseIds": _base_ids(repo),
        "results": results,
    }


def _score(severity: str) -> str:
    return {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}.get(severity, "5.0")
